import test from 'ava';
import { editLine, emptyLine, lineOf, type Line } from '../../src/tui/lineEdit.js';

const at = (text: string, cursor: number): Line => ({ text, cursor });

test('typing inserts at the cursor', (t) => {
  t.deepEqual(editLine(at('ac', 1), 'b', {}), at('abc', 2));
});

test('Backspace (ink key.delete or key.backspace) erases before the cursor', (t) => {
  t.deepEqual(editLine(at('abc', 3), '', { delete: true }), at('ab', 2));
  t.deepEqual(editLine(at('abc', 1), '', { backspace: true }), at('bc', 0));
  const l = at('abc', 0);
  t.is(editLine(l, '', { delete: true }), l);
});

test('arrows, Home/End and Ctrl-A/E move the cursor', (t) => {
  t.is(editLine(at('abc', 1), '', { leftArrow: true }).cursor, 0);
  t.is(editLine(at('abc', 0), '', { leftArrow: true }).cursor, 0);
  t.is(editLine(at('abc', 1), '', { rightArrow: true }).cursor, 2);
  t.is(editLine(at('abc', 3), '', { rightArrow: true }).cursor, 3);
  t.is(editLine(at('abc', 2), 'a', { ctrl: true }).cursor, 0);
  t.is(editLine(at('abc', 0), 'e', { ctrl: true }).cursor, 3);
  t.is(editLine(at('abc', 2), '', { home: true }).cursor, 0);
  t.is(editLine(at('abc', 0), '', { end: true }).cursor, 3);
});

test('Ctrl-U, Ctrl-K and Ctrl-W delete to start, to end, and the word before', (t) => {
  t.deepEqual(editLine(at('hello world', 6), 'u', { ctrl: true }), at('world', 0));
  t.deepEqual(editLine(at('hello world', 5), 'k', { ctrl: true }), at('hello', 5));
  t.deepEqual(editLine(at('hello big world', 10), 'w', { ctrl: true }), at('hello world', 6));
  t.deepEqual(editLine(at('hello   ', 8), 'w', { ctrl: true }), at('', 0));
});

test('a paste arrives as one chunk; line breaks become spaces, control characters go', (t) => {
  t.deepEqual(editLine(emptyLine, 'one\r\ntwo\nthree\x07', {}), lineOf('one two three'));
});

test('the length cap truncates typing and pastes', (t) => {
  t.deepEqual(editLine(lineOf('abc'), 'defg', {}, 5), lineOf('abcde'));
  const full = lineOf('abcde');
  t.is(editLine(full, 'x', {}, 5), full);
});

test('keys that do not edit return the same line', (t) => {
  const l = lineOf('abc');
  for (const key of [{ return: true }, { tab: true }, { escape: true }, { upArrow: true }, { pageDown: true }, { meta: true }]) {
    t.is(editLine(l, 'x', key), l);
  }
  t.is(editLine(l, 'l', { ctrl: true }), l);
});
