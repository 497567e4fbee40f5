import test from 'ava';
import { readFileSync } from 'node:fs';
import { DOC_PATH, renderProtocolDoc, SEMANTICS_PATH } from '../../scripts/gen-protocol-doc.js';
import { BEFORE_LOGIN, REQUEST_NAMES, requestErrors } from '../../src/protocol/answers.js';
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

test('every section of the protocol doc says whether it is generated or written by hand', (t) => {
  const lines = renderProtocolDoc().split('\n');
  const sections = lines.flatMap((l, i) => (l.startsWith('## ') ? [i] : []));
  t.true(sections.length > 5);
  for (const i of sections) {
    const heading = lines[i]!;
    if (heading === '## What is generated, what is written by hand') continue;
    t.regex(lines[i + 2]!, /^_(Generated from|Written by hand in) /, heading);
  }
});

test('the hand-written prose is included whole, with every {{value}} filled in from the code', (t) => {
  const doc = renderProtocolDoc();
  t.false(/\{\{\w+\}\}/.test(doc));
  const prose = readFileSync(SEMANTICS_PATH, 'utf8');
  for (const heading of prose.match(/^### .+$/gm) ?? []) t.true(doc.includes(`\n${heading}\n`), heading);
});

test("each request's section lists its answers, its own errors and those of any request, and whether it needs a login", (t) => {
  const doc = renderProtocolDoc();
  for (const name of REQUEST_NAMES) {
    const section = doc.slice(doc.indexOf(`### ${name} (`), doc.indexOf('\n### ', doc.indexOf(`### ${name} (`) + 1));
    for (const code of requestErrors(name)) t.true(section.includes(code), `${name}: ${code}`);
    t.true(section.includes(BEFORE_LOGIN.has(name) ? 'Allowed before login.' : 'Needs a logged-in session.'), name);
  }
});

test("CONTRIBUTING's worked example uses opcodes no message has yet (the first free ones), as it says", (t) => {
  const text = readFileSync(new URL('../../CONTRIBUTING.md', import.meta.url), 'utf8');
  const said = /(0x[0-9a-f]{2}) and (0x[0-9a-f]{2}) are the first free request and\s+response opcodes/.exec(text);
  t.truthy(said, 'the sentence naming the free opcodes');
  const [request, response] = [Number(said![1]), Number(said![2])];
  const used = new Set<number>(Object.values(schema).map((m) => m.op));
  const firstFree = (from: number) => {
    let op = from;
    while (used.has(op)) op++;
    return op;
  };
  t.is(request, firstFree(0x01));
  t.is(response, firstFree(0x40));
  // The example's code and its generated heading use the same two.
  t.regex(text, new RegExp(`op: 0x${request.toString(16).padStart(2, '0')},`));
  t.regex(text, new RegExp(`Me: \\{ op: 0x${response.toString(16).padStart(2, '0')},`));
  t.regex(text, new RegExp(`### WhoAmI \\(0x${request.toString(16).padStart(2, '0')}, request\\)`));
});
