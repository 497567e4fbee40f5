/**
 * Idle, dead and too many peers: the unauthenticated timeout, the KeepAlive sweep and the connection
 * caps, over real TCP with short limits.
 */
import test from 'ava';
import { encode, type Message } from '../../src/protocol/codec.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { PASSWORD, raw, startTestServer } from './helpers.js';

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))]);

const errorCode = (m: Message | undefined) => (m?.type === 'Error' ? m.code : undefined);

test('a socket that never logs in is closed after the auth timeout with IDLE_TIMEOUT', async (t) => {
  const srv = await startTestServer({ connections: { authTimeoutMs: 300 } });
  t.teardown(() => srv.stop());
  const r = await raw(srv.port);
  await within(r.closed, 10_000, 'idle socket closed');
  const [m] = await r.next(1);
  t.is(errorCode(m), ErrorCode.IDLE_TIMEOUT);
  t.is(r.frames[0]!.requestId, 0);
});

test('a logged-in client outlives the auth timeout and, answering KeepAlive, the keep-alive sweep', async (t) => {
  // Margins a busy machine can keep: the client has 500 ms to answer each KeepAlive.
  const srv = await startTestServer({ connections: { authTimeoutMs: 1000, keepAliveMs: 500 } });
  t.teardown(() => srv.stop());
  const c = await srv.user('stayer');
  let keepAlives = 0;
  c.on('push', (p) => void (p.type === 'KeepAlive' && keepAlives++));
  await new Promise((resolve) => setTimeout(resolve, 2500));
  await c.ping();
  t.true(keepAlives >= 1, `KeepAlive pushes: ${keepAlives}`);
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
  await within(r.closed, 10_000, 'dead peer closed');
  const msgs = await r.next(r.frames.length);
  t.true(msgs.some((m) => m.type === 'KeepAlive'));
});

test('per-address cap: the connection over it gets TOO_MANY_CONNECTIONS and is closed; the listener goes on', async (t) => {
  const srv = await startTestServer({ connections: { maxPerAddress: 2, limitLoopback: true } });
  t.teardown(() => srv.stop());
  const a = await raw(srv.port);
  const b = await raw(srv.port);
  const c = await raw(srv.port);
  await within(c.closed, 10_000, 'refused socket closed');
  const [m] = await c.next(1);
  t.is(errorCode(m), ErrorCode.TOO_MANY_CONNECTIONS);
  t.regex(m?.type === 'Error' ? m.text : '', /your address/);
  // The first two work; once one goes, a new one is let in.
  a.socket.write(encode({ type: 'Ping' }, 7));
  t.is((await a.next(1))[0]?.type, 'Pong');
  b.socket.destroy();
  await b.closed;
  await new Promise((resolve) => setTimeout(resolve, 50));
  const d = await raw(srv.port);
  d.socket.write(encode({ type: 'Ping' }, 8));
  t.is((await d.next(1))[0]?.type, 'Pong');
  a.socket.destroy();
  d.socket.destroy();
});

test('loopback is exempt from the per-address cap unless asked, but not from the total cap', async (t) => {
  const srv = await startTestServer({ connections: { maxPerAddress: 1, maxConnections: 3 } });
  t.teardown(() => srv.stop());
  const socks = [await raw(srv.port), await raw(srv.port), await raw(srv.port)];
  const over = await raw(srv.port);
  await within(over.closed, 10_000, 'refused socket closed');
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
  const srv = await startTestServer({ connections: { authTimeoutMs: 300 }, throttle: { loginDelayMs: 800, loginMaxDelayMs: 2000 } });
  t.teardown(() => srv.stop());
  const setup = await srv.connect();
  await setup.register('slowpoke', PASSWORD);
  await t.throwsAsync(setup.login('slowpoke', 'wrong'));
  const c = await srv.connect();
  // Waits about 800 ms for its turn, past the 300 ms timeout, and still gets in.
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
