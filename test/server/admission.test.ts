/**
 * One admission budget for every socket: TLS sockets count from their accept (before the
 * handshake) and are cut when the handshake does not finish in time; gRPC sockets count against the
 * same caps and are closed when they open no call; a frame begun must be finished in time.
 */
import test from 'ava';
import { once } from 'node:events';
import net from 'node:net';
import { ChatClient } from '../../src/protocol/client.js';
import { encode } from '../../src/protocol/codec.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { PASSWORD, raw, removeDir, startTestServer, tempDir } from './helpers.js';
import { waitFor } from '../wait.js';
import { tlsFiles } from '../lib/cert.js';

/** A plain TCP socket that connects and then says nothing. */
async function silent(port: number): Promise<net.Socket & { gone: Promise<void> }> {
  const s = net.connect({ port, host: '127.0.0.1' });
  s.on('error', () => undefined);
  // Reads (and drops) what it is sent, so it sees the server close it.
  s.resume();
  await once(s, 'connect');
  const gone = new Promise<void>((resolve) => s.once('close', () => resolve()));
  return Object.assign(s, { gone });
}

async function selfSigned(): Promise<{ cert: Buffer; key: Buffer; dir: string }> {
  const dir = tempDir();
  return { ...(await tlsFiles(dir)), dir };
}

test('TLS sockets count from their accept: silent ones fill the per-address cap, and each is cut when its handshake is not done in time', async (t) => {
  const { cert, key, dir } = await selfSigned();
  t.teardown(() => removeDir(dir));
  // A long handshake timeout first: the silent sockets must hold their places.
  const srv = await startTestServer({ tls: { cert, key }, tlsHandshakeTimeoutMs: 60_000, connections: { maxPerAddress: 2, limitLoopback: true } });
  t.teardown(() => srv.stop());
  const a = await silent(srv.port);
  const b = await silent(srv.port);
  // A third socket, a real TLS client, is over the cap: closed without a word.
  await t.throwsAsync(ChatClient.connect({ port: srv.port, tls: { ca: cert } }));
  a.destroy();
  b.destroy();
  await Promise.all([a.gone, b.gone]);

  const quick = await startTestServer({ tls: { cert, key }, tlsHandshakeTimeoutMs: 200, connections: { maxPerAddress: 2, limitLoopback: true } });
  t.teardown(() => quick.stop());
  const s = await silent(quick.port);
  await s.gone; // cut by the server, not by us
  const c = await ChatClient.connect({ port: quick.port, tls: { ca: cert } });
  t.teardown(() => c.close());
  await c.register('tls-after', PASSWORD);
});

test('gRPC sockets count against the same caps as TCP ones, and one that opens no call is closed after the auth timeout', async (t) => {
  const srv = await startTestServer({ grpcPort: 0, metricsPort: 0, connections: { maxPerAddress: 2, limitLoopback: true, authTimeoutMs: 60_000 } });
  t.teardown(() => srv.stop());
  const g1 = await silent(srv.grpcPort!);
  const g2 = await silent(srv.grpcPort!);
  // Both accepted (counted) before the TCP socket comes: the two listeners take their turns in any order.
  await waitFor(async () => /termchat_connections\{transport="grpc",state="silent"\} 2/.test(await (await fetch(`http://127.0.0.1:${srv.metricsPort}/metrics`)).text()), 'both gRPC sockets counted');
  // The TCP port is full too: the two silent gRPC sockets hold this address's places.
  const r = await raw(srv.port);
  await r.closed;
  const [refusal] = await r.next(1);
  t.is(refusal?.type === 'Error' ? refusal.code : undefined, ErrorCode.TOO_MANY_CONNECTIONS);
  g1.destroy();
  g2.destroy();

  const quick = await startTestServer({ grpcPort: 0, connections: { authTimeoutMs: 200 } });
  t.teardown(() => quick.stop());
  const g = await silent(quick.grpcPort!);
  await g.gone; // closed by the server
  t.pass();
});

test('a peer that trickles a frame it never finishes is closed, though it keeps sending', async (t) => {
  const srv = await startTestServer({ connections: { frameTimeoutMs: 300 } });
  t.teardown(() => srv.stop());
  const setup = await srv.connect();
  await setup.register('trickler', PASSWORD);
  const r = await raw(srv.port);
  r.socket.write(encode({ type: 'Login', username: 'trickler', password: PASSWORD }, 1));
  t.is((await r.next(1))[0]?.type, 'LoginOk');
  const frame = encode({ type: 'Ping' }, 2);
  let i = 0;
  const drip = setInterval(() => {
    if (i < frame.length - 1) r.socket.write(frame.subarray(i, ++i));
  }, 50);
  t.teardown(() => clearInterval(drip));
  await r.closed;
  clearInterval(drip);
  const msgs = await r.next(r.frames.length);
  const last = msgs.at(-1);
  t.is(last?.type === 'Error' ? last.code : undefined, ErrorCode.IDLE_TIMEOUT);
  t.regex(last?.type === 'Error' ? last.text : '', /frame begun 0\.3 s ago/);
});

test('whole frames sent slowly, one after another, are not cut', async (t) => {
  const srv = await startTestServer({ connections: { frameTimeoutMs: 300 } });
  t.teardown(() => srv.stop());
  const c = await srv.connect();
  for (let i = 0; i < 5; i++) {
    await c.ping();
    // The pause is the scenario (the connection idles between whole frames longer in all than the
    // frame timeout), not a wait for something to happen.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await c.ping();
  t.pass();
});
