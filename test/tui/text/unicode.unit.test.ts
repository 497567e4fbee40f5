import test from 'ava';
import { MessageFlags } from '../../../src/protocol/schema.js';
import { fromWire, toWire } from '../../../src/tui/text/unicode.js';
import { vectors } from './utf7Vectors.js';

test('the vectors file is there and not empty', (t) => {
  t.true(vectors.length >= 10);
});

test("every UTF-7 text Python's 'utf-7' codec writes decodes to the same text", (t) => {
  for (const v of vectors) t.is(fromWire(v.python_utf7, MessageFlags.UTF7), v.text, v.python_utf7);
});

test('what we encode decodes back to the text, is 7-bit ASCII, and is flagged only when not plain ASCII', (t) => {
  for (const v of vectors) {
    const w = toWire(v.text);
    t.is(fromWire(w.content, w.flags), v.text);
    t.regex(w.content, /^[\x00-\x7f]*$/);
    t.is(w.bytes, w.content.length);
    const ascii = /^[\x00-\x7f]*$/.test(v.text);
    t.is(w.flags, ascii ? 0 : MessageFlags.UTF7, v.text);
    if (ascii) t.is(w.content, v.text, 'plain ASCII travels unchanged');
  }
});

test('an unflagged message is shown as it came, even if it looks like UTF-7', (t) => {
  t.is(fromWire('caf+AOk-', 0), 'caf+AOk-');
});
