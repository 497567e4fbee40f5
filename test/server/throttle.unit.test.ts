/**
 * The throttle's rules on a clock the test moves (ManualClock): the doubling delay, parallel turns,
 * the ceiling, forgetting, the registration window, and a Login's wait. Exact, and no real time.
 */
import test from 'ava';
import { Throttle, DEFAULT_THROTTLE } from '../../src/server/throttle.js';
import { ManualClock } from '../clock.js';

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

test("the clock given is the throttle's time: a failure count is forgotten after forgetAfterMs without failures", (t) => {
  const clock = new ManualClock();
  const th = new Throttle({ ...opts, forgetAfterMs: 60_000, clock });
  th.loginResult('cid', undefined, false);
  th.loginResult('cid', undefined, false);
  clock.advance(60_000);
  // Still remembered at the limit: two failures, a 200 ms delay from the last one (which is long past).
  t.deepEqual(th.loginTurn('cid', undefined), { waitMs: 0, check: true });
  th.loginResult('cid', undefined, false);
  t.is(th.loginTurn('cid', undefined).waitMs, 400, 'the third failure doubles again');
  clock.advance(60_001);
  t.deepEqual(th.loginTurn('cid', undefined), { waitMs: 0, check: true });
  th.loginResult('cid', undefined, false);
  t.is(th.loginTurn('cid', undefined).waitMs, 100, 'forgotten: back to the first delay');
});

test('registrations: so many per address in a sliding window, counted on the clock given', (t) => {
  const clock = new ManualClock();
  const th = new Throttle({ ...opts, registerPerWindow: 2, registerWindowMs: 1000, clock });
  t.true(th.takeRegistration('10.0.0.1'));
  clock.advance(600);
  t.true(th.takeRegistration('10.0.0.1'));
  t.false(th.takeRegistration('10.0.0.1'));
  t.true(th.takeRegistration('10.0.0.2'), 'per address');
  t.true(th.takeRegistration(undefined), 'an unlimited address');
  clock.advance(400);
  // The first one has left the window; the second has not.
  t.true(th.takeRegistration('10.0.0.1'));
  t.false(th.takeRegistration('10.0.0.1'));
});

test("a Login's wait ends when the clock reaches its turn, or at once when cancelled", async (t) => {
  const clock = new ManualClock();
  const th = new Throttle({ ...opts, clock });
  const ended: string[] = [];
  const first = th.wait(100);
  const second = th.wait(200);
  void first.done.then(() => ended.push('first'));
  void second.done.then(() => ended.push('second'));
  clock.advance(99);
  await Promise.resolve();
  t.deepEqual(ended, []);
  clock.advance(1);
  await first.done;
  t.deepEqual(ended, ['first']);
  second.cancel();
  await second.done;
  t.deepEqual(ended, ['first', 'second']);
  t.is(clock.pending, 0, 'a cancelled wait leaves no timer');
});
