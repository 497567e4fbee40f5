import test from 'ava';
import { printable } from '../../../src/tui/text/printable.js';
import { textWidth } from '../../../src/tui/text/width.js';

test('control characters become visible: an OSC title sequence, a bell, a carriage return cannot act', (t) => {
  const s = printable('hi\x1b]0;pwned\x07 there\rX\x7f\x9b');
  t.false(/[\x00-\x1f\x7f-\x9f]/.test(s));
  t.is(s, 'hi^[]0;pwned^G there^MX^?\ufffd');
});

test('ordinary text, including non-ASCII, is left alone', (t) => {
  t.is(printable('café über 日本 🎉'), 'café über 日本 🎉');
});

test('defect 13: a lone surrogate is shown as U+FFFD, one column, as the terminal will show it (it does not eat the next character)', (t) => {
  for (const s of ['a\ud834bc', 'a\udd1ebc', 'abc\ud834']) {
    const p = printable(s);
    t.false(/[\ud800-\udfff]/u.test(p), JSON.stringify(s));
    t.true(p.includes('\ufffd'));
    t.is(textWidth(p), 4, JSON.stringify(p));
  }
  t.is(printable('𝄞'), '𝄞', 'a surrogate pair is one character, kept');
});

test('defect 13: zero-width format characters are dropped, so what the width function counts is what any terminal shows', (t) => {
  t.is(printable('a\u200bbc'), 'abc');
  t.is(printable('x\u00adyz\u2060w\ufeff'), 'xyzw');
  t.is(printable('👩\u200d💻'), '👩💻');
  // The bidi overrides stay visible (they would reorder what follows).
  t.is(printable('a\u202eb'), 'a\ufffdb');
});
