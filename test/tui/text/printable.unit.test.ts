import test from 'ava';
import { printable } from '../../../src/tui/text/printable.js';

test('control characters become visible: an OSC title sequence, a bell, a carriage return cannot act', (t) => {
  const s = printable('hi\x1b]0;pwned\x07 there\rX\x7f\x9b');
  t.false(/[\x00-\x1f\x7f-\x9f]/.test(s));
  t.is(s, 'hi^[]0;pwned^G there^MX^?\ufffd');
});

test('ordinary text, including non-ASCII, is left alone', (t) => {
  t.is(printable('café über 日本 🎉'), 'café über 日本 🎉');
});
