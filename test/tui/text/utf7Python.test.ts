/** Our UTF-7 read by Python's own codec: a python3 process, so not a unit test (unicode.unit.test.ts has the rest). */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { toWire } from '../../../src/tui/text/unicode.js';
import { vectors } from './utf7Vectors.js';

test("Python's 'utf-7' codec reads what we encode", (t) => {
  const encoded = vectors.map((v) => toWire(v.text)).filter((w) => w.flags !== 0).map((w) => w.content);
  // python3 is part of the build toolchain (node-gyp needs it), so it is there wherever tests run.
  const out = execFileSync('python3', ['-c', 'import sys, json; print(json.dumps([s.encode("ascii").decode("utf-7") for s in json.load(sys.stdin)]))'], {
    input: JSON.stringify(encoded),
  }).toString();
  const expected = vectors.filter((v) => toWire(v.text).flags !== 0).map((v) => v.text);
  t.deepEqual(JSON.parse(out), expected);
});
