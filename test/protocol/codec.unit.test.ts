import test from 'ava';
import { fc, testProp } from '@fast-check/ava';
import { decode, encode, layout, opcodeOf, validate, type Message } from '../../src/protocol/codec.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { HEADER_SIZE } from '../../src/protocol/framing.js';
import { schema } from '../../src/protocol/schema.js';
import { messageArb, requestIdArb } from './arbitraries.js';

/** Encodes and strips the header, checking the header says what was encoded. */
function bodyOf(m: Message, id = 1): Buffer {
  const frame = encode(m, id);
  return frame.subarray(HEADER_SIZE);
}

testProp('decode(encode(m)) deep-equals m for every message in the schema', [messageArb, requestIdArb], (t, m, id) => {
  const frame = encode(m, id);
  t.is(frame.readUInt32BE(0), frame.length - HEADER_SIZE);
  t.deepEqual(decode(opcodeOf(m.type), frame.subarray(HEADER_SIZE)), m);
}, { numRuns: 1000 });

testProp('encode(decode(b)) gives back b for every valid body (one canonical form)', [messageArb], (t, m) => {
  const body = bodyOf(m);
  t.deepEqual(bodyOf(decode(opcodeOf(m.type), body)), body);
});

testProp(
  'a body one byte short or one byte long is refused with a size error',
  [messageArb, fc.boolean()],
  (t, m, longer) => {
    const body = bodyOf(m);
    const bad = longer ? Buffer.concat([body, Buffer.alloc(1)]) : body.subarray(0, body.length - 1);
    if (bad.length === body.length) return t.pass();
    const err = t.throws(() => decode(opcodeOf(m.type), bad), { instanceOf: ProtocolError });
    t.true(err?.code === 'BAD_SIZE' || err?.code === 'TRUNCATED');
  },
);

test('the round-trip generator produces every message type of the schema', (t) => {
  // Sampled, not read back from the list the generator was built from: a generator that drops a
  // type (or a schema entry it cannot build) fails here.
  const seen = new Set(fc.sample(messageArb, { numRuns: 3000, seed: 9 }).map((m) => m.type));
  t.deepEqual([...seen].sort(), Object.keys(schema).sort());
});

test('a 16-byte username round-trips; 17 bytes is an error naming the field', (t) => {
  const m: Message = { type: 'Login', username: 'a'.repeat(16), password: 'pw' };
  t.deepEqual(decode(opcodeOf('Login'), bodyOf(m)), m);
  const err = t.throws(() => encode({ ...m, username: 'a'.repeat(17) }, 1), { instanceOf: ProtocolError });
  t.is(err?.code, 'BAD_FIELD');
  t.is(err?.field, 'username');
  t.regex(err?.message ?? '', /longer than 16 bytes/);
});

test('empty content and 512-byte content round-trip; 513 bytes is an error', (t) => {
  for (const content of ['', 'x'.repeat(512)]) {
    const m: Message = { type: 'Send', recipient: 'bob', clientId: 1, flags: 0, content };
    t.deepEqual(decode(opcodeOf('Send'), bodyOf(m)), m);
  }
  const err = t.throws(() => encode({ type: 'Send', recipient: 'bob', clientId: 1, flags: 0, content: 'x'.repeat(513) }, 1), {
    instanceOf: ProtocolError,
  });
  t.is(err?.field, 'content');
  t.regex(err?.message ?? '', /longer than 512 bytes/);
});

test('é in a username is refused on encode, not mapped to a Latin-1 byte', (t) => {
  const err = t.throws(() => encode({ type: 'Register', username: 'rené', password: 'pw' }, 1), {
    instanceOf: ProtocolError,
  });
  t.is(err?.code, 'BAD_FIELD');
  t.is(err?.field, 'username');
  t.regex(err?.message ?? '', /non-ASCII/);
});

test('a byte over 0x7F in a received field is refused, not decoded as Latin-1', (t) => {
  const body = bodyOf({ type: 'Register', username: 'rene', password: 'pw' });
  body[3] = 0xe9;
  const err = t.throws(() => decode(opcodeOf('Register'), body), { instanceOf: ProtocolError });
  t.is(err?.code, 'BAD_FIELD');
  t.is(err?.field, 'username');
});

test('a NUL inside a value is refused on encode and on decode', (t) => {
  const enc = t.throws(() => encode({ type: 'Login', username: 'a\0b', password: 'pw' }, 1), { instanceOf: ProtocolError });
  t.regex(enc?.message ?? '', /NUL/);
  const body = bodyOf({ type: 'Login', username: 'ab', password: 'pw' });
  body[3] = 0x63; // "ab\0c": a byte after the padding began
  const dec = t.throws(() => decode(opcodeOf('Login'), body), { instanceOf: ProtocolError });
  t.is(dec?.field, 'username');
  t.regex(dec?.message ?? '', /after the NUL padding/);
});

test('nested fields are named with their path in errors', (t) => {
  const err = t.throws(
    () =>
      encode(
        { type: 'MessageBatch', remaining: 0, messages: [{ id: 1, sender: 'é', clientId: 1, flags: 0, sentAt: 0, content: '' }] },
        1,
      ),
    { instanceOf: ProtocolError },
  );
  t.is(err?.field, 'messages[0].sender');
});

test('numbers out of range are errors, not wrapped', (t) => {
  for (const clientId of [-1, 2 ** 32, 1.5, Number.NaN]) {
    const err = t.throws(() => encode({ type: 'Send', recipient: 'b', clientId, flags: 0, content: '' }, 1), {
      instanceOf: ProtocolError,
    });
    t.is(err?.field, 'clientId');
  }
});

test('an unknown opcode is a ProtocolError naming the opcode', (t) => {
  const err = t.throws(() => decode(0x3f, Buffer.alloc(0)), { instanceOf: ProtocolError });
  t.is(err?.code, 'UNKNOWN_OPCODE');
  t.regex(err?.message ?? '', /0x3f/);
});

test('a truncated list (count says more items than the body holds) is refused before parsing', (t) => {
  const body = bodyOf({ type: 'AccountList', total: 3, names: ['a', 'b'] });
  const err = t.throws(() => decode(opcodeOf('AccountList'), body.subarray(0, body.length - 16)), {
    instanceOf: ProtocolError,
  });
  t.is(err?.code, 'TRUNCATED');
  // A body too short even for the list count.
  t.throws(() => decode(opcodeOf('AccountList'), Buffer.alloc(5)), { instanceOf: ProtocolError });
});

test('sizes come from the schema: Send is 16 + 4 + 1 + 512 bytes', (t) => {
  t.is(layout('Send').fixed, 533);
  t.is(bodyOf({ type: 'Send', recipient: 'b', clientId: 1, flags: 0, content: 'hi' }).length, 533);
  t.is(layout('MessageBatch').list?.itemSize, 4 + 16 + 4 + 1 + 8 + 512);
});

testProp('validate() accepts every message encode() accepts', [messageArb], (t, m) => {
  t.notThrows(() => validate(m));
});

test('validate() refuses what encode() refuses, naming the same field', (t) => {
  const bad: Message[] = [
    { type: 'Send', recipient: 'b'.repeat(17), clientId: 1, flags: 0, content: 'x' },
    { type: 'Send', recipient: 'b', clientId: 1, flags: 256, content: 'x' },
    { type: 'ListAccounts', pattern: '*', offset: 0, limit: 0x10000 },
    { type: 'Register', username: 'caf\u00e9', password: 'pw' },
    { type: 'MessageBatch', remaining: 0, messages: [{ id: -1, sender: 'a', clientId: 1, flags: 0, sentAt: 0, content: '' }] },
  ];
  for (const m of bad) {
    const viaEncode = t.throws(() => encode(m, 1), { instanceOf: ProtocolError });
    const viaValidate = t.throws(() => validate(m), { instanceOf: ProtocolError });
    t.is(viaValidate?.code, 'BAD_FIELD');
    t.is(viaValidate?.field, viaEncode?.field);
  }
});
