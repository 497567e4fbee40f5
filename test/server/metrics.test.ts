/** Every limit has a metric: hitting it increments its counter, seen at /metrics as an operator sees it. */
import test from 'ava';
import { once } from 'node:events';
import net from 'node:net';
import { encode } from '../../src/protocol/codec.js';
import { ServerError } from '../../src/protocol/errors.js';
import { PASSWORD, raw, removeDir, startTestServer, tempDir } from './helpers.js';
import { waitFor } from '../wait.js';
import { tlsFiles } from '../lib/cert.js';

async function scrape(port: number, what = '/metrics'): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${what}`);
  return { status: res.status, text: await res.text() };
}

/** The value of one sample (`name{labels} value`), 0 when absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}}` : `${name} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function silentSocket(port: number): Promise<Promise<void>> {
  const s = net.connect({ port, host: '127.0.0.1' });
  s.on('error', () => undefined);
  // Reads (and drops) what it is sent, so it sees the server close it.
  s.resume();
  await once(s, 'connect');
  return new Promise<void>((resolve) => s.once('close', () => resolve()));
}

test('a connection over a cap is counted', async (t) => {
  const srv = await startTestServer({ metricsPort: 0, grpcPort: 0, connections: { maxPerAddress: 2, limitLoopback: true, authTimeoutMs: 60_000 } });
  t.teardown(() => srv.stop());
  // A TCP and a gRPC socket fill this address's places; the next is refused.
  const held = [await raw(srv.port), await raw(srv.grpcPort!)];
  t.teardown(() => held.forEach((r) => r.socket.destroy()));
  // Both accepted by the server (the two listeners take their turns in any order) before the next.
  await waitFor(async () => {
    const { text } = await scrape(srv.metricsPort!);
    return sample(text, 'termchat_connections', 'transport="tcp",state="anonymous"') === 1 && sample(text, 'termchat_connections', 'transport="grpc",state="open"') === 1;
  }, 'both sockets counted');
  const over = await raw(srv.port);
  await over.closed;
  const { text } = await scrape(srv.metricsPort!);
  t.is(sample(text, 'termchat_connections_refused_total', 'reason="cap_address"'), 1);
});

test('connections closed by a timeout are counted by reason', async (t) => {
  const srv = await startTestServer({ metricsPort: 0, grpcPort: 0, connections: { authTimeoutMs: 300, frameTimeoutMs: 300, keepAliveMs: 150 } });
  t.teardown(() => srv.stop());
  // A socket that never logs in (auth timeout), a silent gRPC socket (no call).
  const idle = await silentSocket(srv.port);
  const grpcIdle = await silentSocket(srv.grpcPort!);
  await Promise.all([idle, grpcIdle]);
  const c = await srv.connect();
  await c.register('metrics-dead', PASSWORD);
  await c.register('metrics-half', PASSWORD);
  // A logged-in peer that begins a frame and stops (frame timeout).
  const half = await raw(srv.port);
  half.socket.write(encode({ type: 'Login', username: 'metrics-half', password: PASSWORD }, 1));
  await half.until((frames) => frames.length >= 1);
  half.socket.write(encode({ type: 'Ping' }, 2).subarray(0, 4));
  await half.closed;
  // A logged-in peer that stops answering: dead after KeepAlive.
  const dead = await raw(srv.port);
  dead.socket.write(encode({ type: 'Login', username: 'metrics-dead', password: PASSWORD }, 1));
  await dead.closed;
  const { text } = await scrape(srv.metricsPort!);
  for (const reason of ['auth_timeout', 'frame_timeout', 'grpc_no_call', 'dead_peer']) {
    t.true(sample(text, 'termchat_connections_refused_total', `reason="${reason}"`) >= 1, reason);
  }
  t.regex(text, /termchat_connections\{transport="tcp",state="logged_in"\} \d/);
});

test('a TLS handshake not done in time is counted', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const tls = await tlsFiles(dir);
  const srv = await startTestServer({ metricsPort: 0, tls, tlsHandshakeTimeoutMs: 200 });
  t.teardown(() => srv.stop());
  await (await silentSocket(srv.port));
  const { text } = await scrape(srv.metricsPort!);
  t.is(sample(text, 'termchat_connections_refused_total', 'reason="tls_handshake_timeout"'), 1);
});

test('refused requests are counted by error code, throttled logins and store batches too; /health answers', async (t) => {
  const srv = await startTestServer({ metricsPort: 0, maxQueue: 1 });
  t.teardown(() => srv.stop());
  const a = await srv.user('metrics-a');
  const b = await srv.user('metrics-b');
  await b.logout();
  await a.send('metrics-b', 'one');
  await t.throwsAsync(a.send('metrics-b', 'two'), { instanceOf: ServerError });
  await t.throwsAsync(b.login('metrics-b', 'wrong password'), { instanceOf: ServerError });
  await b.login('metrics-b', PASSWORD);
  const { text } = await scrape(srv.metricsPort!);
  t.is(sample(text, 'termchat_requests_refused_total', 'code="MAILBOX_FULL"'), 1);
  t.is(sample(text, 'termchat_requests_refused_total', 'code="BAD_CREDENTIALS"'), 1);
  t.true(sample(text, 'termchat_logins_throttled_total') >= 1);
  t.true(sample(text, 'termchat_store_batch_seconds_count') > 0);
  t.regex(text, /termchat_answer_budget_max_bytes \d+/);
  t.regex(text, /termchat_nodejs_eventloop_lag_p99_seconds/);
  t.deepEqual(await scrape(srv.metricsPort!, '/health'), { status: 200, text: '{"status":"ok"}' });
  t.is((await scrape(srv.metricsPort!, '/nothing')).status, 404);
});
