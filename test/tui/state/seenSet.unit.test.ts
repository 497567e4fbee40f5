import test from 'ava';
import { addSeen, emptySeen, hasSeen } from '../../../src/tui/state/seenSet.js';

test('a seen set keeps everything added, across folds, and never changes an earlier state', (t) => {
  let s = emptySeen<number>();
  const states = [s];
  for (let i = 0; i < 3000; i += 7) {
    s = addSeen(s, [i, i + 1, i + 2]);
    states.push(s);
  }
  for (let i = 0; i < 3000; i += 7) t.true(hasSeen(s, i + 2));
  t.false(hasSeen(s, 3));
  t.false(hasSeen(states[1]!, 7), 'an earlier state does not see later additions');
  t.true(hasSeen(states[1]!, 2));
});
