import test from 'ava';
import { readFileSync } from 'node:fs';
import { DOC_PATH, renderProtocolDoc } from '../../scripts/gen-protocol-doc.js';
import { schema } from '../../src/protocol/schema.js';

test('docs/PROTOCOL.md is exactly what the schema generates (run `npm run docs` after a schema change)', (t) => {
  t.is(readFileSync(DOC_PATH, 'utf8'), renderProtocolDoc());
});

test('the protocol doc has a section with the opcode of every message', (t) => {
  const doc = renderProtocolDoc();
  for (const [name, def] of Object.entries(schema)) {
    t.true(doc.includes(`### ${name} (0x${def.op.toString(16).padStart(2, '0')}, ${def.dir})`), name);
  }
});
