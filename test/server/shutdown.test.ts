/**
 * Shutdown under load: every request the server read gets its true answer before its connection
 * ends: Accepted for what is stored, SHUTTING_DOWN for what is not, in request order.
 */
import test from 'ava';
import { encode, type Message, type Request } from '../../src/protocol/codec.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { startServer } from '../../src/server/server.js';
import { drain, PASSWORD, raw, removeDir, tempDir, TEST_COST } from './helpers.js';
import { ChatClient } from '../../src/protocol/client.js';

test('under load, every request read before the stop is answered truly: Accepted = stored, SHUTTING_DOWN = not', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const srv = await startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST, limits: { maxInflight: 64 } });
  const setup = await ChatClient.connect({ port: srv.port });
  await setup.register('sink', PASSWORD);
  const SENDERS = 4;
  const N = 3000;
  const socks = [];
  for (let k = 0; k < SENDERS; k++) {
    await setup.register(`src${k}`, PASSWORD);
    const r = await raw(srv.port);
    r.socket.write(encode({ type: 'Login', username: `src${k}`, password: PASSWORD }, 1));
    t.is((await r.next(1))[0]?.type, 'LoginOk');
    socks.push(r);
  }
  await setup.close();
  for (const [k, r] of socks.entries()) {
    const sends: Buffer[] = [];
    for (let i = 0; i < N; i++) {
      const req: Request = { type: 'Send', recipient: 'sink', clientId: 2 + i, flags: 0, content: `m ${k} ${i}` };
      sends.push(encode(req, 2 + i));
    }
    r.socket.write(Buffer.concat(sends));
  }
  // Stop while the Sends are streaming in.
  await Promise.race(socks.map((r) => r.until((frames) => frames.length >= 50)));
  await srv.close();
  await Promise.all(socks.map((r) => r.closed));

  const accepted = new Set<string>();
  let refused = 0;
  for (const [k, r] of socks.entries()) {
    const msgs: Message[] = await r.next(r.frames.length);
    const answers = r.frames.map((f, i) => [f.requestId, msgs[i]!] as const).filter(([id]) => id > 1);
    // In request order, each at most once, and only the two true answers.
    answers.forEach(([id], i) => t.is(id, 2 + i));
    for (const [id, m] of answers) {
      if (m.type === 'Accepted') accepted.add(`m ${k} ${id - 2}`);
      else if (m.type === 'Error' && m.code === ErrorCode.SHUTTING_DOWN) refused++;
      else t.fail(`unexpected answer ${JSON.stringify(m)}`);
    }
    // ServerClosing comes last, after every answer.
    t.is(msgs.at(-1)?.type, 'ServerClosing');
    t.is(msgs.filter((m) => m.type === 'ServerClosing').length, 1);
  }
  t.log(`accepted ${accepted.size}, refused ${refused}, of ${SENDERS * N} sent`);
  t.true(accepted.size > 0 && refused > 0);

  // What the senders heard is what the store kept.
  const again = await startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST });
  t.teardown(() => again.close());
  const c = await ChatClient.connect({ port: again.port });
  await c.login('sink', PASSWORD);
  const stored = (await drain(c, 200)).map((m) => m.content);
  await c.close();
  t.is(stored.length, new Set(stored).size);
  t.deepEqual(stored.sort(), [...accepted].sort());
});

test('requests read but not yet started when the server stops are each answered SHUTTING_DOWN, in order', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  // One request at a time, one per turn: most of what was read is still waiting when the stop comes.
  const srv = await startServer({ port: 0, dataDir: dir, scryptCost: TEST_COST, limits: { maxInflight: 1, turnBudget: 1 } });
  const setup = await ChatClient.connect({ port: srv.port });
  await setup.register('wait-sink', PASSWORD);
  await setup.register('wait-src', PASSWORD);
  await setup.close();
  const r = await raw(srv.port);
  r.socket.write(encode({ type: 'Login', username: 'wait-src', password: PASSWORD }, 1));
  t.is((await r.next(1))[0]?.type, 'LoginOk');
  const N = 1000;
  const reqs: Buffer[] = [encode({ type: 'Send', recipient: 'wait-sink', clientId: 1, flags: 0, content: 'first' }, 2)];
  for (let i = 0; i < N; i++) reqs.push(encode({ type: 'Ping' }, 3 + i));
  // 9 KB in one write: read in one chunk on loopback.
  r.socket.write(Buffer.concat(reqs));
  await r.next(2);
  await srv.close();
  await r.closed;
  const msgs = await r.next(r.frames.length);
  const answers = r.frames.map((f, i) => [f.requestId, msgs[i]!] as const).filter(([id]) => id > 1);
  answers.forEach(([id], i) => t.is(id, 2 + i));
  t.is(answers[0]?.[1].type, 'Accepted');
  const refused = answers.filter(([, m]) => m.type === 'Error' && m.code === ErrorCode.SHUTTING_DOWN).length;
  t.log(`${answers.length} answered of ${N + 1}: ${refused} SHUTTING_DOWN`);
  t.is(answers.length, N + 1);
  t.true(refused > 0);
  t.is(msgs.at(-1)?.type, 'ServerClosing');
});
