import test from 'ava';
import { editLine, emptyLine, lineOf, type Line } from '../../src/tui/lineEdit.js';

const at = (text: string, cursor: number): Line => ({ text, cursor });

test('typing inserts at the cursor', (t) => {
  t.deepEqual(editLine(at('ac', 1), { insert: 'b' }), at('abc', 2));
});

test('backspace erases before the cursor, and at the start changes nothing', (t) => {
  t.deepEqual(editLine(at('abc', 3), 'backspace'), at('ab', 2));
  t.deepEqual(editLine(at('abc', 1), 'backspace'), at('bc', 0));
  const l = at('abc', 0);
  t.is(editLine(l, 'backspace'), l);
});

test('left, right, start and end move the cursor, never past the ends', (t) => {
  t.is(editLine(at('abc', 1), 'left').cursor, 0);
  t.is(editLine(at('abc', 0), 'left').cursor, 0);
  t.is(editLine(at('abc', 1), 'right').cursor, 2);
  t.is(editLine(at('abc', 3), 'right').cursor, 3);
  t.is(editLine(at('abc', 2), 'start').cursor, 0);
  t.is(editLine(at('abc', 0), 'end').cursor, 3);
});

test('kill to start, to end, and the word before the cursor', (t) => {
  t.deepEqual(editLine(at('hello world', 6), 'killToStart'), at('world', 0));
  t.deepEqual(editLine(at('hello world', 5), 'killToEnd'), at('hello', 5));
  t.deepEqual(editLine(at('hello big world', 10), 'killWord'), at('hello world', 6));
  t.deepEqual(editLine(at('hello   ', 8), 'killWord'), at('', 0));
});

test('a paste arrives as one chunk; line breaks become spaces, control characters go', (t) => {
  t.deepEqual(editLine(emptyLine, { insert: 'one\r\ntwo\nthree\x07' }), lineOf('one two three'));
});

test('the length cap truncates typing and pastes', (t) => {
  t.deepEqual(editLine(lineOf('abc'), { insert: 'defg' }, 5), lineOf('abcde'));
  const full = lineOf('abcde');
  t.is(editLine(full, { insert: 'x' }, 5), full);
});

test('inserting nothing printable returns the same line', (t) => {
  const l = lineOf('abc');
  t.is(editLine(l, { insert: '' }), l);
  t.is(editLine(l, { insert: '\x07\x1b' }), l);
});

test('defect 13: the cursor moves and Backspace erases whole characters: a surrogate pair, an accent, a zero-width joiner sequence', (t) => {
  t.deepEqual(editLine(at('a🎉', 3), 'left'), at('a🎉', 1));
  t.deepEqual(editLine(at('a🎉', 1), 'right'), at('a🎉', 3));
  t.deepEqual(editLine(at('a🎉b', 3), 'backspace'), at('ab', 1));
  t.deepEqual(editLine(at('e\u0301x', 2), 'backspace'), at('x', 0));
  t.deepEqual(editLine(at('👩\u200d💻!', 5), 'left'), at('👩\u200d💻!', 0));
});

test('defect 13: typed or pasted zero-width format characters and lone surrogates are not kept', (t) => {
  t.deepEqual(editLine(emptyLine, { insert: 'a\u200bb\ud834c\ufeff' }), lineOf('abc'));
  t.deepEqual(editLine(emptyLine, { insert: '👩\u200d💻' }), lineOf('👩\u200d💻'), 'a joiner between emoji stays');
});

test('a bracketed paste keeps its line breaks (as \\n) for the draft; other control characters go', (t) => {
  t.deepEqual(editLine(emptyLine, { paste: 'one\r\ntwo\rthree\n\x07' }), lineOf('one\ntwo\nthree'));
  t.deepEqual(editLine(emptyLine, { paste: 'tab\there' }), lineOf('tab    here'));
});
