/**
 * The per-connection pipeline: answers in request order, reading paused (not buffered) for a peer
 * that does not read its answers, and cheap refusals before expensive work. Real TCP throughout;
 * no timings: what a rule promises is asserted as order, counts and memory.
 */
import test from 'ava';
import fs from 'node:fs';
import { encode, type Message, type Request } from '../../src/protocol/codec.js';
import { PASSWORD, raw, removeDir, spawnServer, startTestServer, tempDir, type ChildServer } from './helpers.js';
import { ChatClient } from '../../src/protocol/client.js';

/** Every request in one write, request ids 1..n. */
function pipelined(reqs: Request[], firstId = 1): Buffer {
  return Buffer.concat(reqs.map((r, i) => encode(r, firstId + i)));
}

/** Once n answers came, the answers only (pushes have request id 0), with their ids. */
async function answers(r: Awaited<ReturnType<typeof raw>>, n: number): Promise<Array<[number, Message['type']]>> {
  let answered = 0;
  let seen = 0;
  await r.until((frames) => {
    for (; seen < frames.length; seen++) if (frames[seen]!.requestId !== 0) answered++;
    return answered >= n;
  });
  const msgs = await r.next(r.frames.length);
  return r.frames.flatMap((f, i) => (f.requestId === 0 ? [] : [[f.requestId, msgs[i]!.type] as [number, Message['type']]]));
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

async function child(t: import('ava').ExecutionContext, extra: string[] = []): Promise<ChildServer> {
  const dir = tempDir();
  const s = await spawnServer(dir, extra);
  t.teardown(() => {
    s.child.kill('SIGKILL');
    removeDir(dir);
  });
  return s;
}

test('pipelined mixed requests are answered in request order, the slow ones not overtaken', async (t) => {
  const srv = await startTestServer();
  t.teardown(() => srv.stop());
  const setup = await srv.connect();
  await setup.register('order-a', PASSWORD);
  await setup.register('order-b', PASSWORD);
  const r = await raw(srv.port);
  t.teardown(() => r.socket.destroy());
  r.socket.write(
    pipelined([
      { type: 'Login', username: 'order-a', password: PASSWORD },
      { type: 'FetchUndelivered', max: 10 },
      { type: 'ListAccounts', pattern: 'order-*', offset: 0, limit: 10 },
      { type: 'Ping' },
      { type: 'Ack', upTo: 0 },
      { type: 'Send', recipient: 'order-b', clientId: 1, flags: 0, content: 'one' },
      { type: 'Ping' },
      { type: 'Send', recipient: 'order-b', clientId: 2, flags: 0, content: 'two' },
      { type: 'Ping' },
      { type: 'Logout' },
    ]),
  );
  t.deepEqual(await answers(r, 10), [
    [1, 'LoginOk'],
    [2, 'MessageBatch'],
    [3, 'AccountList'],
    [4, 'Pong'],
    [5, 'Ok'],
    [6, 'Accepted'],
    [7, 'Pong'],
    [8, 'Accepted'],
    [9, 'Pong'],
    [10, 'Ok'],
  ]);
});

test('a peer that stops reading is paused, not buffered; when it reads again every answer comes, in order', async (t) => {
  const srv = await startTestServer({ limits: { maxInflight: 64, maxAnswerBytes: 256 * 1024 } });
  t.teardown(() => srv.stop());
  const sender = await srv.user('pause-a');
  const setup = await srv.connect();
  await setup.register('pause-b', PASSWORD);
  await Promise.all(Array.from({ length: 50 }, (_, i) => sender.send('pause-b', `queued ${i} `.padEnd(500, '.'))));

  const r = await raw(srv.port);
  t.teardown(() => r.socket.destroy());
  r.socket.write(encode({ type: 'Login', username: 'pause-b', password: PASSWORD }, 1));
  await r.next(1);
  r.socket.pause();
  // 2,000 fetches of 50 messages: about 54 MB of answers if the server answered them all at once.
  const n = 2000;
  const reqs = Buffer.concat(Array.from({ length: n }, (_, i) => encode({ type: 'FetchUndelivered', max: 50 }, i + 2)));
  r.socket.write(reqs);
  // The server stops reading once its answers fill the buffers (the unit test of the pipeline shows
  // where); meanwhile it serves others, pushes to the paused peer included.
  t.is(await sender.send('pause-b', 'still served'), (await sender.send('pause-b', 'again')) - 1);
  r.socket.resume();
  const got = await answers(r, n + 1);
  t.is(got.length, n + 1);
  t.deepEqual(
    got.map(([id]) => id),
    Array.from({ length: n + 1 }, (_, i) => i + 1),
  );
  t.true(got.slice(1).every(([, type]) => type === 'MessageBatch'));
});

test('attack: 5,000 pipelined Fetch(200) from a peer that never reads grow the server by little; others are served', async (t) => {
  const s = await child(t);
  const a = await ChatClient.connect({ port: s.port });
  t.teardown(() => a.close());
  await a.register('victim', PASSWORD);
  await a.register('attacker', PASSWORD);
  await a.login('victim', PASSWORD);
  await Promise.all(Array.from({ length: 200 }, (_, i) => a.send('attacker', `${i} `.padEnd(512, 'x'))));
  const before = rssMiB(s.child.pid!);

  const r = await raw(s.port);
  t.teardown(() => r.socket.destroy());
  r.socket.write(encode({ type: 'Login', username: 'attacker', password: PASSWORD }, 1));
  await r.next(1);
  r.socket.pause();
  r.socket.write(Buffer.concat(Array.from({ length: 5000 }, (_, i) => encode({ type: 'FetchUndelivered', max: 200 }, i + 2))));

  // Paced by round trips, not by time: each one the server answers gives the attacker's connection
  // its turns too (128 requests each), so 200 of them would have started all 5,000 Fetches had
  // nothing stopped it.
  let peak = before;
  for (let i = 0; i < 5; i++) {
    const c = await ChatClient.connect({ port: s.port });
    await c.login('victim', PASSWORD);
    await c.send('attacker', 'are you there?');
    for (let k = 0; k < 40; k++) await c.ping();
    await c.close();
    peak = Math.max(peak, rssMiB(s.child.pid!));
  }
  t.log(`server RSS ${before.toFixed(0)} -> peak ${peak.toFixed(0)} MiB`);
  // Answering everything at once would hold about 550 MB.
  t.true(peak - before < 150, `RSS grew ${(peak - before).toFixed(0)} MiB`);
});

test('attack: 1,000 pipelined Registers of a taken name are refused without hashing; others log in meanwhile', async (t) => {
  // The real password cost, so that 1,000 hashes would be seconds of work.
  const s = await child(t, ['--scrypt-cost', '16384']);
  const a = await ChatClient.connect({ port: s.port });
  t.teardown(() => a.close());
  await a.register('taken', PASSWORD);
  const r = await raw(s.port);
  t.teardown(() => r.socket.destroy());
  const n = 1000;
  r.socket.write(pipelined(Array.from({ length: n }, () => ({ type: 'Register', username: 'taken', password: 'guess' }) as Request)));
  const login = a.login('taken', PASSWORD);
  const got = await answers(r, n);
  t.is(got.length, n);
  t.true(got.every(([id, type], i) => id === i + 1 && type === 'Error'));
  // That none of them was hashed is counted in cheapFirst.unit.test.ts.
  t.deepEqual(await login, { undelivered: 0 });
});
