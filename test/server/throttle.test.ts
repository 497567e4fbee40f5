/**
 * Login throttling (growing delay after failures, per account and per address, the same answer for
 * every refusal, over TCP and gRPC) and the registration rate per address. Only lower bounds on
 * time are asserted: a slow machine can make things slower, never faster.
 */
import test from 'ava';
import { GrpcChatClient } from '../../src/protocol/grpcClient.js';
import { ChatClient } from '../../src/protocol/client.js';
import { Throttle, DEFAULT_THROTTLE } from '../../src/server/throttle.js';
import { PASSWORD, startTestServer } from './helpers.js';

const opts = { ...DEFAULT_THROTTLE, loginDelayMs: 100, loginMaxDelayMs: 1000 };

test('the delay doubles with each failure, parallel attempts are spaced, a success clears it', (t) => {
  const th = new Throttle(opts);
  t.deepEqual(th.loginTurn('amy', undefined, 0), { waitMs: 0, check: true });
  th.loginResult('amy', undefined, false, 0);
  t.deepEqual(th.loginTurn('amy', undefined, 0), { waitMs: 100, check: true });
  th.loginResult('amy', undefined, false, 100);
  // Two failures: the next turn is 200 ms after the last one, and a parallel one 200 ms later still.
  t.deepEqual(th.loginTurn('amy', undefined, 100), { waitMs: 200, check: true });
  t.deepEqual(th.loginTurn('amy', undefined, 100), { waitMs: 400, check: true });
  t.deepEqual(th.loginTurn('amy', undefined, 100), { waitMs: 600, check: true });
  t.deepEqual(th.loginTurn('amy', undefined, 100), { waitMs: 800, check: true });
  t.deepEqual(th.loginTurn('amy', undefined, 100), { waitMs: 1000, check: true });
  // Further than the ceiling: refused after the ceiling, unchecked.
  t.deepEqual(th.loginTurn('amy', undefined, 100), { waitMs: 1000, check: false });
  // Another account from no limited address is not slowed; a success clears amy.
  t.deepEqual(th.loginTurn('bob', undefined, 100), { waitMs: 0, check: true });
  th.loginResult('amy', undefined, true, 2000);
  t.deepEqual(th.loginTurn('amy', undefined, 2000), { waitMs: 0, check: true });
});

test('per address: failures on many names slow every Login from that address', (t) => {
  const th = new Throttle(opts);
  for (let i = 0; i < 3; i++) th.loginResult(`guess${i}`, '10.0.0.1', false, 0);
  t.is(th.loginTurn('someone-else', '10.0.0.1', 0).waitMs, 400);
  t.is(th.loginTurn('someone-else', '10.0.0.2', 0).waitMs, 0);
});

test('throttled Logins over TCP answer the same text every time, slower and slower, and the right password still gets in', async (t) => {
  const srv = await startTestServer({ throttle: { loginDelayMs: 100, loginMaxDelayMs: 400 } });
  t.teardown(() => srv.stop());
  const c = await srv.connect();
  await c.register('victim', PASSWORD);
  const texts = new Set<string>();
  const t0 = performance.now();
  for (let i = 0; i < 4; i++) {
    const err = await t.throwsAsync(c.login(i % 2 ? 'victim' : 'victim', `guess ${i}`));
    t.is((err as { code?: string }).code, 'BAD_CREDENTIALS');
    texts.add(err!.message);
  }
  // Waits of 0, 100, 200, 400 ms at least.
  t.true(performance.now() - t0 >= 700, `${performance.now() - t0} ms`);
  const unknown = await t.throwsAsync(c.login('nobody-here', 'x'));
  texts.add(unknown!.message);
  t.deepEqual([...texts], ['wrong username or password']);
  t.like(await c.login('victim', PASSWORD), { undelivered: 0 });
});

test('eight connections guessing at once try no faster than one', async (t) => {
  const srv = await startTestServer({ throttle: { loginDelayMs: 100, loginMaxDelayMs: 2000 } });
  t.teardown(() => srv.stop());
  const setup = await srv.connect();
  await setup.register('target', PASSWORD);
  await t.throwsAsync(setup.login('target', 'first guess'));
  const conns = await Promise.all(Array.from({ length: 8 }, () => srv.connect()));
  const t0 = performance.now();
  const results = await Promise.allSettled(conns.map((c, i) => c.login('target', `guess ${i}`)));
  const ms = performance.now() - t0;
  t.true(results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'wrong username or password'));
  // One failure so far (a delay of 100 ms), so the eight turns are 100 ms apart: the last at 800 ms.
  t.true(ms >= 700, `${ms} ms`);
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

test('over gRPC a throttled Login gets the same answer, and registrations are counted per address', async (t) => {
  const srv = await startTestServer({
    grpcPort: 0,
    throttle: { loginDelayMs: 100, loginMaxDelayMs: 400, registerPerWindow: 1 },
    connections: { limitLoopback: true },
  });
  t.teardown(() => srv.stop());
  const g = await GrpcChatClient.connect({ port: srv.grpcPort! });
  t.teardown(() => g.close());
  await g.register('g-victim', PASSWORD);
  await t.throwsAsync(g.register('g-second', PASSWORD), { message: /too many registrations/ });
  const t0 = performance.now();
  const messages = new Set<string>();
  for (let i = 0; i < 3; i++) messages.add(((await t.throwsAsync(g.login('g-victim', `guess ${i}`))) as Error).message);
  t.true(performance.now() - t0 >= 300);
  t.is(messages.size, 1);
  t.regex([...messages][0]!, /wrong username or password/);
  // The TCP side shares the account's count.
  const c: ChatClient = await srv.connect();
  const t1 = performance.now();
  await t.throwsAsync(c.login('g-victim', 'tcp guess'), { message: 'wrong username or password' });
  t.true(performance.now() - t1 >= 300);
});
