import test from 'ava';
import { wrapWords } from '../../../src/tui/text/wrap.js';

test('wraps between words, not inside them', (t) => {
  t.deepEqual(wrapWords('the quick brown fox jumps', 10), ['the quick', 'brown fox', 'jumps']);
});

test('the first line may be narrower (room for a name)', (t) => {
  t.deepEqual(wrapWords('aaa bbb ccc', 8, 4), ['aaa', 'bbb ccc']);
});

test('a word longer than a line is cut, and only then', (t) => {
  t.deepEqual(wrapWords('x'.repeat(12) + ' y', 5), ['xxxxx', 'xxxxx', 'xx y']);
});

test('wide characters count two columns', (t) => {
  t.deepEqual(wrapWords('日本語テキスト', 6), ['日本語', 'テキス', 'ト']);
});

test('empty text is one empty line', (t) => {
  t.deepEqual(wrapWords('', 10), ['']);
});
