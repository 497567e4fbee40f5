/**
 * Idle, dead and too many peers: the unauthenticated timeout, the KeepAlive sweep and the connection
 * caps, over real TCP with short limits.
 */
import test from 'ava';
import { once } from 'node:events';
import { encode, type Message } from '../../src/protocol/codec.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { PASSWORD, raw, startTestServer } from './helpers.js';
import { waitFor } from '../wait.js';

const errorCode = (m: Message | undefined) => (m?.type === 'Error' ? m.code : undefined);

test('a socket that never logs in is closed after the auth timeout with IDLE_TIMEOUT', async (t) => {
  const srv = await startTestServer({ connections: { authTimeoutMs: 300 } });
  t.teardown(() => srv.stop());
  const r = await raw(srv.port);
  await r.closed;
  const [m] = await r.next(1);
  t.is(errorCode(m), ErrorCode.IDLE_TIMEOUT);
  t.is(r.frames[0]!.requestId, 0);
});

test('a logged-in client outlives the auth timeout and, answering KeepAlive, the keep-alive sweep', async (t) => {
  // The client has one interval (a second) to answer each KeepAlive, a margin a busy machine keeps.
  const srv = await startTestServer({ connections: { authTimeoutMs: 1000, keepAliveMs: 1000 } });
  t.teardown(() => srv.stop());
  const c = await srv.user('stayer');
  const closed = once(c, 'close').then(() => 'closed');
  // The second KeepAlive comes only if the sweep after the first heard the client's answer.
  const twoKeepAlives = new Promise<string>((resolve) => {
    let n = 0;
    c.on('push', (p) => void (p.type === 'KeepAlive' && ++n === 2 && resolve('two KeepAlives')));
  });
  // A socket that never logs in, opened after ours: once it is closed for idleness, our auth timeout is over too.
  const idle = await raw(srv.port);
  t.is(await Promise.race([idle.closed.then(() => 'idle closed'), closed]), 'idle closed');
  t.is(await Promise.race([twoKeepAlives, closed]), 'two KeepAlives');
  await c.ping();
  t.true(c.isOpen);
});

test('a logged-in peer that stops answering is closed as dead after KeepAlive', async (t) => {
  const srv = await startTestServer({ connections: { keepAliveMs: 100 } });
  t.teardown(() => srv.stop());
  const setup = await srv.connect();
  await setup.register('frozen', PASSWORD);
  const r = await raw(srv.port);
  r.socket.write(encode({ type: 'Login', username: 'frozen', password: PASSWORD }, 1));
  const [ok] = await r.next(1);
  t.is(ok?.type, 'LoginOk');
  // From now on it reads (the kernel does) but never writes, like a stopped process.
  await r.closed;
  const msgs = await r.next(r.frames.length);
  t.true(msgs.some((m) => m.type === 'KeepAlive'));
});

test('per-address cap: the connection over it gets TOO_MANY_CONNECTIONS and is closed; the listener goes on', async (t) => {
  const srv = await startTestServer({ connections: { maxPerAddress: 2, limitLoopback: true } });
  t.teardown(() => srv.stop());
  const a = await raw(srv.port);
  const b = await raw(srv.port);
  const c = await raw(srv.port);
  await c.closed;
  const [m] = await c.next(1);
  t.is(errorCode(m), ErrorCode.TOO_MANY_CONNECTIONS);
  t.regex(m?.type === 'Error' ? m.text : '', /your address/);
  // The first two work; once one goes, a new one is let in.
  a.socket.write(encode({ type: 'Ping' }, 7));
  t.is((await a.next(1))[0]?.type, 'Pong');
  b.socket.destroy();
  await b.closed;
  // The server lets a new one in once it has seen b go (which this side cannot observe): try until then.
  const d = await waitFor(async () => {
    const s = await raw(srv.port);
    s.socket.write(encode({ type: 'Ping' }, 8));
    // A Pong, or TOO_MANY_CONNECTIONS (request id 0) while the server has not yet seen b go.
    if ((await s.next(1))[0]?.type === 'Pong') return s;
    s.socket.destroy();
    return undefined;
  }, 'a connection let in after one went');
  t.is(d.frames.length, 1);
  a.socket.destroy();
  d.socket.destroy();
});

test('loopback is exempt from the per-address cap unless asked, but not from the total cap', async (t) => {
  const srv = await startTestServer({ connections: { maxPerAddress: 1, maxConnections: 3 } });
  t.teardown(() => srv.stop());
  const socks = [await raw(srv.port), await raw(srv.port), await raw(srv.port)];
  const over = await raw(srv.port);
  await over.closed;
  const [m] = await over.next(1);
  t.is(errorCode(m), ErrorCode.TOO_MANY_CONNECTIONS);
  t.regex(m?.type === 'Error' ? m.text : '', /too many connections \(3\)/);
  for (const s of socks) {
    s.socket.write(encode({ type: 'Ping' }, 1));
    t.is((await s.next(1))[0]?.type, 'Pong');
    s.socket.destroy();
  }
});

test('the auth timeout waits for a Login in flight (a throttled one may take longer than the timeout)', async (t) => {
  // The throttled Login waits longer than the auth timeout, whenever it arrives within it.
  const srv = await startTestServer({ connections: { authTimeoutMs: 1000 }, throttle: { loginDelayMs: 1500, loginMaxDelayMs: 3000 } });
  t.teardown(() => srv.stop());
  const setup = await srv.connect();
  await setup.register('slowpoke', PASSWORD);
  await t.throwsAsync(setup.login('slowpoke', 'wrong'));
  const c = await srv.connect();
  // Waits its turn past the auth timeout, and still gets in.
  t.like(await c.login('slowpoke', PASSWORD), { undelivered: 0 });
});

test('ChatClient reports the reason for a close (an Error with request id 0) as serverError', async (t) => {
  const srv = await startTestServer({ connections: { authTimeoutMs: 200 } });
  t.teardown(() => srv.stop());
  const c = await srv.connect();
  const reasons: string[] = [];
  c.on('serverError', (e) => reasons.push(e.code));
  await new Promise<void>((resolve) => c.once('close', () => resolve()));
  t.deepEqual(reasons, ['IDLE_TIMEOUT']);
});
