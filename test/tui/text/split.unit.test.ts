import test from 'ava';
import { splitMessage } from '../../../src/tui/text/split.js';
import { wireBytes } from '../../../src/tui/text/unicode.js';

test('a long text splits at word boundaries into parts of at most 512 wire bytes, losing nothing', (t) => {
  const words = Array.from({ length: 200 }, (_, i) => `word${i}`);
  const text = words.join(' ');
  const parts = splitMessage(text);
  t.true(parts.length > 1);
  for (const p of parts) t.true(wireBytes(p) <= 512);
  t.is(parts.join(' '), text);
  // Every part ends and starts at a whole word.
  for (const p of parts) for (const w of p.split(' ')) t.true(words.includes(w));
});

test('the limit counts UTF-7 bytes, not characters', (t) => {
  const text = Array.from({ length: 150 }, () => 'café').join(' ');
  const parts = splitMessage(text);
  for (const p of parts) t.true(wireBytes(p) <= 512, `${wireBytes(p)}`);
  t.is(parts.join(' '), text);
});

test('a single word longer than a message is cut into pieces', (t) => {
  const parts = splitMessage('x'.repeat(1100));
  t.deepEqual(parts.map((p) => p.length), [512, 512, 76]);
});
