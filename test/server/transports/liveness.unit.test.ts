/** Liveness without sockets or real time: the auth timeout and the keep-alive sweep. */
import test from 'ava';
import { Liveness, seconds, type Timers } from '../../../src/server/transports/liveness.js';

/** Timers the test fires by hand. */
function manualTimers() {
  const due = new Map<number, () => void>();
  let n = 0;
  const timers: Timers = {
    setTimeout: (fn) => {
      due.set(++n, fn);
      return n;
    },
    clearTimeout: (t) => due.delete(t as number),
  };
  const fire = () => {
    const fns = [...due.values()];
    due.clear();
    for (const fn of fns) fn();
  };
  return { timers, fire, pending: () => due.size };
}

test('a peer that never logs in is closed after the auth timeout, with the timeout said exactly', (t) => {
  const m = manualTimers();
  const closed: string[] = [];
  new Liveness(() => false, (_why, text) => closed.push(text), 1500, m.timers);
  m.fire();
  t.deepEqual(closed, ['no successful Register or Login within 1.5 s']);
});

test('a Register or Login still being answered holds the auth timeout; success ends it', (t) => {
  const m = manualTimers();
  let proven = false;
  const closed: string[] = [];
  const l = new Liveness(() => proven, (_why, text) => closed.push(text), 10_000, m.timers);
  l.authStarted();
  m.fire();
  t.deepEqual(closed, []);
  proven = true;
  l.authEnded();
  t.is(m.pending(), 0);
  m.fire();
  t.deepEqual(closed, []);
});

test('auth timeout 0 sets no timer', (t) => {
  const m = manualTimers();
  new Liveness(() => false, () => t.fail(), 0, m.timers);
  t.is(m.pending(), 0);
});

test('a silent peer gets a KeepAlive, then is dead; hearing from it or its own waiting requests keep it alive', (t) => {
  const l = new Liveness(() => true, () => undefined, 0);
  t.is(l.sweep(false), 'alive'); // heard at the start
  t.is(l.sweep(false), 'ping');
  l.heardFrom();
  t.is(l.sweep(false), 'alive');
  t.is(l.sweep(false), 'ping');
  t.is(l.sweep(false), 'dead');
  const busy = new Liveness(() => true, () => undefined, 0);
  busy.sweep(false);
  t.is(busy.sweep(true), 'alive');
});

test('durations are said without rounding', (t) => {
  t.deepEqual([seconds(1500), seconds(10_000), seconds(250), seconds(1234)], ['1.5 s', '10 s', '0.25 s', '1.234 s']);
});
