import test from 'ava';
import { countWrapped, wrapWords } from '../../../src/tui/text/wrap.js';

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

test('countWrapped agrees with wrapWords on every shape of text and width', (t) => {
  const samples = ['', 'a', 'the quick brown fox jumps over the lazy dog', 'x'.repeat(37) + ' y z', 'a  b   c', ' lead', 'trail ', 'aa bb '.repeat(20), 'café über 日本 🎉 '.repeat(5)];
  for (const text of samples) {
    for (const cols of [1, 2, 3, 5, 8, 13, 30]) {
      for (const first of [1, cols, Math.max(1, cols - 4)]) {
        t.is(countWrapped(text, cols, first), wrapWords(text, cols, first).length, `${JSON.stringify(text)} ${cols}/${first}`);
      }
    }
  }
});
