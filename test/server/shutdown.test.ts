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
  while (socks.every((r) => r.frames.length < 50)) await new Promise((resolve) => setTimeout(resolve, 1));
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
    t.true(msgs.some((m) => m.type === 'ServerClosing'));
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
