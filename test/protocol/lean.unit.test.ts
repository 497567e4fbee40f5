/**
 * The lean decode path (codec.ts compileLean): binary-parser's generated code without the
 * $parent/$root bookkeeping. Its fallback to Parser#parse must never be taken silently, and its
 * output must be exactly Parser#parse's.
 */
import test from 'ava';
import { testProp } from '@fast-check/ava';
import { decode, decodePath, encode, opcodeOf, parseWithBinaryParser } from '../../src/protocol/codec.js';
import { HEADER_SIZE } from '../../src/protocol/framing.js';
import { schema, type MessageName } from '../../src/protocol/schema.js';
import { messageArb } from './arbitraries.js';

test('every message of the schema is decoded by the lean path, not the Parser#parse fallback', (t) => {
  const notLean = (Object.keys(schema) as MessageName[]).filter((name) => decodePath(name) !== 'lean');
  t.deepEqual(notLean, [], 'binary-parser generated code compileLean does not recognise; see the comment on compileLean');
});

testProp(
  'the lean path decodes every message exactly as binary-parser Parser#parse does',
  [messageArb],
  (t, m) => {
    const body = encode(m, 1).subarray(HEADER_SIZE);
    const reference = parseWithBinaryParser(m.type, body);
    t.not(reference, undefined);
    const lean = decode(opcodeOf(m.type), body) as unknown as Record<string, unknown>;
    t.deepEqual(lean, { ...reference, type: m.type });
    // Same fields in the same order (the order objects are built in is part of their shape).
    t.deepEqual(Object.keys(lean), [...Object.keys(reference!), 'type']);
  },
  { numRuns: 1000 },
);
