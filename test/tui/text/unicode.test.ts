import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MessageFlags } from '../../../src/protocol/schema.js';
import { fromWire, toWire } from '../../../src/tui/text/unicode.js';

interface Vector {
  text: string;
  python_utf7: string;
  encoded_bytes: number;
}

// Shared with the other implementations: it lives beside the clone (../shared), as in CI.
const vectors = (
  JSON.parse(readFileSync(new URL('../../../../shared/vectors/utf7-python.json', import.meta.url), 'utf8')) as { vectors: Vector[] }
).vectors;

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

test("Python's 'utf-7' codec reads what we encode", (t) => {
  const encoded = vectors.map((v) => toWire(v.text)).filter((w) => w.flags !== 0).map((w) => w.content);
  // python3 is part of the build toolchain (node-gyp needs it), so it is there wherever tests run.
  const out = execFileSync('python3', ['-c', 'import sys, json; print(json.dumps([s.encode("ascii").decode("utf-7") for s in json.load(sys.stdin)]))'], {
    input: JSON.stringify(encoded),
  }).toString();
  const expected = vectors.filter((v) => toWire(v.text).flags !== 0).map((v) => v.text);
  t.deepEqual(JSON.parse(out), expected);
});

test('an unflagged message is shown as it came, even if it looks like UTF-7', (t) => {
  t.is(fromWire('caf+AOk-', 0), 'caf+AOk-');
});
