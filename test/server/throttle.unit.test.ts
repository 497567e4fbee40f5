/**
 * The throttle's rules on a clock the test moves (ManualClock): the doubling delay, parallel turns,
 * the ceiling, forgetting, the owner's known address, the registration window, and a Login's wait.
 * Exact, and no real time.
 */
import test from 'ava';
import { DEFAULT_THROTTLE, loginKeys, Throttle, type LoginTicket } from '../../src/server/throttle.js';
import { ManualClock } from '../clock.js';

const opts = { ...DEFAULT_THROTTLE, loginDelayMs: 100, loginMaxDelayMs: 1000 };

/** A failed Login of `name` from `address` (known to it or not), recorded without taking a turn. */
function failure(th: Throttle, name: string, address: string | undefined, now?: number, known = false): Promise<void> {
  const ticket: LoginTicket = { waitMs: 0, check: true, keys: loginKeys(name, address, known) };
  return th.loginResult(ticket, name, address, false, now);
}

/** A successful Login, which also makes the address known to the account. */
async function success(th: Throttle, name: string, address: string | undefined, now?: number): Promise<void> {
  await th.loginResult(await th.loginTurn(name, address, now), name, address, true, now);
}

test('the delay doubles with each failure, parallel attempts are spaced, a success clears it', async (t) => {
  const th = new Throttle(opts);
  const turn = async (name: string, now: number) => {
    const { waitMs, check } = await th.loginTurn(name, undefined, now);
    return { waitMs, check };
  };
  t.deepEqual(await turn('amy', 0), { waitMs: 0, check: true });
  await failure(th, 'amy', undefined, 0);
  t.deepEqual(await turn('amy', 0), { waitMs: 100, check: true });
  await failure(th, 'amy', undefined, 100);
  // Two failures: the next turn is 200 ms after the last one, and a parallel one 200 ms later still.
  t.deepEqual(await turn('amy', 100), { waitMs: 200, check: true });
  t.deepEqual(await turn('amy', 100), { waitMs: 400, check: true });
  t.deepEqual(await turn('amy', 100), { waitMs: 600, check: true });
  t.deepEqual(await turn('amy', 100), { waitMs: 800, check: true });
  t.deepEqual(await turn('amy', 100), { waitMs: 1000, check: true });
  // Further than the ceiling: refused after the ceiling, unchecked.
  t.deepEqual(await turn('amy', 100), { waitMs: 1000, check: false });
  // Another account is not slowed; a success clears amy.
  t.deepEqual(await turn('bob', 100), { waitMs: 0, check: true });
  await success(th, 'amy', undefined, 2000);
  t.deepEqual(await turn('amy', 2000), { waitMs: 0, check: true });
});

test('per address: failures on many names slow every Login from that address', async (t) => {
  const th = new Throttle(opts);
  for (let i = 0; i < 3; i++) await failure(th, `guess${i}`, '10.0.0.1', 0);
  t.is((await th.loginTurn('someone-else', '10.0.0.1', 0)).waitMs, 400);
  t.is((await th.loginTurn('someone-else', '10.0.0.2', 0)).waitMs, 0);
});

test('the owner, from an address it has logged in from, is not slowed by failures from elsewhere', async (t) => {
  const th = new Throttle(opts);
  await success(th, 'owner', '192.0.2.7', 0);
  // An attacker guesses owner's password from many other addresses.
  for (let i = 0; i < 8; i++) await failure(th, 'owner', `198.51.100.${i}`, 10);
  t.is((await th.loginTurn('owner', '192.0.2.7', 20)).waitMs, 0, 'the owner goes at once');
  // From an address new to the account, the account's failures count.
  const fresh = await th.loginTurn('owner', '203.0.113.1', 20);
  t.true(fresh.waitMs > 0);
  // A success from the known address clears its own counts only: attackers still wait.
  await success(th, 'owner', '192.0.2.7', 30);
  t.true((await th.loginTurn('owner', '203.0.113.2', 30)).waitMs > 0);
});

test('the owner mistyping at a known address waits for its own failures there', async (t) => {
  const th = new Throttle(opts);
  await success(th, 'typo', '192.0.2.8', 0);
  await failure(th, 'typo', '192.0.2.8', 10, true);
  await failure(th, 'typo', '192.0.2.8', 20, true);
  t.is((await th.loginTurn('typo', '192.0.2.8', 20)).waitMs, 200);
});

test("the clock given is the throttle's time: a failure count is forgotten after forgetAfterMs without failures", async (t) => {
  const clock = new ManualClock();
  const th = new Throttle({ ...opts, forgetAfterMs: 60_000, clock });
  await failure(th, 'cid', undefined);
  await failure(th, 'cid', undefined);
  clock.advance(60_000);
  // Still remembered at the limit: two failures, a 200 ms delay from the last one (which is long past).
  t.like(await th.loginTurn('cid', undefined), { waitMs: 0, check: true });
  await failure(th, 'cid', undefined);
  t.is((await th.loginTurn('cid', undefined)).waitMs, 400, 'the third failure doubles again');
  clock.advance(60_001);
  t.like(await th.loginTurn('cid', undefined), { waitMs: 0, check: true });
  await failure(th, 'cid', undefined);
  t.is((await th.loginTurn('cid', undefined)).waitMs, 100, 'forgotten: back to the first delay');
});

test('registrations: so many per address in a sliding window, counted on the clock given', async (t) => {
  const clock = new ManualClock();
  const th = new Throttle({ ...opts, registerPerWindow: 2, registerWindowMs: 1000, clock });
  t.true(await th.takeRegistration('10.0.0.1'));
  clock.advance(600);
  t.true(await th.takeRegistration('10.0.0.1'));
  t.false(await th.takeRegistration('10.0.0.1'));
  t.true(await th.takeRegistration('10.0.0.2'), 'per address');
  t.true(await th.takeRegistration(undefined), 'an unlimited address');
  clock.advance(400);
  // The first one has left the window; the second has not.
  t.true(await th.takeRegistration('10.0.0.1'));
  t.false(await th.takeRegistration('10.0.0.1'));
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
