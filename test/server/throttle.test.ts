/**
 * Login throttling and the registration rate as clients see them, over TCP and gRPC: the same
 * answer for every refusal, the right password still getting in, the delay shared by parallel
 * connections and by both transports. No durations are measured: that a throttled Login waited is
 * shown by order (a Login of another account, sent after it, is answered before it); the delays
 * themselves are checked exactly in throttle.unit.test.ts.
 */
import test from 'ava';
import { GrpcChatClient } from '../../src/protocol/grpcClient.js';
import type { ChatClient } from '../../src/protocol/client.js';
import { PASSWORD, startTestServer } from './helpers.js';

const REFUSED = 'wrong username or password';

/** Settles in the order the answers come: records `name` in `order` once `p` has settled. */
function noted<T>(order: string[], name: string, p: Promise<T>): Promise<T | Error> {
  return p.then(
    (v) => {
      order.push(name);
      return v;
    },
    (e: Error) => {
      order.push(name);
      return e;
    },
  );
}

test('throttled Logins over TCP answer the same text every time, and the right password still gets in', async (t) => {
  const srv = await startTestServer({ throttle: { loginDelayMs: 100, loginMaxDelayMs: 400 } });
  t.teardown(() => srv.stop());
  const c = await srv.connect();
  await c.register('victim', PASSWORD);
  const texts = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const err = await t.throwsAsync(c.login('victim', `guess ${i}`));
    t.is((err as { code?: string }).code, 'BAD_CREDENTIALS');
    texts.add(err!.message);
  }
  const unknown = await t.throwsAsync(c.login('nobody-here', 'x'));
  texts.add(unknown!.message);
  t.deepEqual([...texts], [REFUSED]);
  t.like(await c.login('victim', PASSWORD), { undelivered: 0 });
});

test('eight connections guessing at once wait their turns one after another; a Login of another account sent after them is answered first', async (t) => {
  // One failure: turns 250 ms apart, so the last of the eight waits 2 s, the bystander not at all.
  const srv = await startTestServer({ throttle: { loginDelayMs: 250, loginMaxDelayMs: 5000 } });
  t.teardown(() => srv.stop());
  const setup = await srv.connect();
  await setup.register('target', PASSWORD);
  await setup.register('bystander', PASSWORD);
  await t.throwsAsync(setup.login('target', 'first guess'));
  const conns = await Promise.all(Array.from({ length: 8 }, () => srv.connect()));
  const other = await srv.connect();
  const order: string[] = [];
  const guesses = conns.map((c, i) => noted(order, `guess ${i}`, c.login('target', `guess ${i}`)));
  const bystander = noted(order, 'bystander', other.login('bystander', PASSWORD));
  const results = await Promise.all(guesses);
  t.true(results.every((r) => r instanceof Error && r.message === REFUSED));
  t.like(await bystander, { undelivered: 0 });
  t.true(order.indexOf('bystander') < order.length - 1, order.join(', '));
});

test('registrations per address are capped (RATE_LIMITED) when the address is limited; loopback is exempt by default', async (t) => {
  const limited = await startTestServer({ throttle: { registerPerWindow: 2 }, connections: { limitLoopback: true } });
  t.teardown(() => limited.stop());
  const c = await limited.connect();
  await c.register('reg1', PASSWORD);
  await c.register('reg2', PASSWORD);
  await t.throwsAsync(c.register('reg3', PASSWORD), { code: 'RATE_LIMITED' } as never);
  const free = await startTestServer({ throttle: { registerPerWindow: 2 } });
  t.teardown(() => free.stop());
  const d = await free.connect();
  for (const n of ['f1', 'f2', 'f3']) await d.register(n, PASSWORD);
  t.pass();
});

test('over gRPC registrations are counted per address too', async (t) => {
  const srv = await startTestServer({ grpcPort: 0, throttle: { registerPerWindow: 1 }, connections: { limitLoopback: true } });
  t.teardown(() => srv.stop());
  const g = await GrpcChatClient.connect({ port: srv.grpcPort! });
  t.teardown(() => g.close());
  await g.register('g-first', PASSWORD);
  await t.throwsAsync(g.register('g-second', PASSWORD), { message: /too many registrations/ });
});

test("over gRPC a throttled Login gets the same answer, and TCP shares the account's count", async (t) => {
  const srv = await startTestServer({ grpcPort: 0, throttle: { loginDelayMs: 250, loginMaxDelayMs: 5000 } });
  t.teardown(() => srv.stop());
  const g = await GrpcChatClient.connect({ port: srv.grpcPort! });
  t.teardown(() => g.close());
  await g.register('g-victim', PASSWORD);
  await g.register('g-bystander', PASSWORD);
  const messages = new Set<string>();
  for (let i = 0; i < 3; i++) messages.add(((await t.throwsAsync(g.login('g-victim', `guess ${i}`))) as Error).message);
  t.deepEqual([...messages], [REFUSED]);
  // Three failures over gRPC: a TCP guess at the same account waits a second; a Login of another
  // account, sent after it, is answered before it.
  const c: ChatClient = await srv.connect();
  const other: ChatClient = await srv.connect();
  const order: string[] = [];
  const guess = noted(order, 'tcp guess', c.login('g-victim', 'tcp guess'));
  const bystander = noted(order, 'bystander', other.login('g-bystander', PASSWORD));
  t.is(((await guess) as Error).message, REFUSED);
  t.like(await bystander, { undelivered: 0 });
  t.deepEqual(order, ['bystander', 'tcp guess']);
});
