import test from 'ava';
import { fc, testProp } from '@fast-check/ava';
import { decode, encode } from '../../src/protocol/codec.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { FrameDecoder, HEADER_SIZE, writeHeader, type Frame } from '../../src/protocol/framing.js';
import { messageArb, requestIdArb } from './arbitraries.js';

/** Cuts `bytes` at the given points (sorted, deduplicated) into chunks. */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of [...at, bytes.length]) {
    chunks.push(bytes.subarray(prev, p));
    prev = p;
  }
  return chunks;
}

const plain = (f: Frame) => ({ opcode: f.opcode, requestId: f.requestId, body: Buffer.from(f.body) });

testProp(
  'frames concatenated and cut at random points come out of FrameDecoder as the same sequence',
  [fc.array(fc.tuple(messageArb, requestIdArb), { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 40 })],
  (t, msgs, points) => {
    const frames = msgs.map(([m, id]) => encode(m, id));
    const dec = new FrameDecoder();
    const out: Frame[] = [];
    for (const chunk of cut(Buffer.concat(frames), points)) out.push(...dec.push(chunk));
    t.is(dec.pending, 0);
    t.deepEqual(
      out.map((f) => decode(f.opcode, f.body)),
      msgs.map(([m]) => m),
    );
    t.deepEqual(
      out.map((f) => f.requestId),
      msgs.map(([, id]) => id),
    );
  },
);

test('one byte at a time yields each frame exactly once, and earlier bodies stay intact', (t) => {
  const frames = [
    encode({ type: 'Send', recipient: 'bob', clientId: 1, flags: 0, content: 'first' }, 1),
    encode({ type: 'Ping' }, 2),
    encode({ type: 'Send', recipient: 'eve', clientId: 2, flags: 0, content: 'x'.repeat(512) }, 3),
  ];
  const all = Buffer.concat(frames);
  const dec = new FrameDecoder();
  const out: Frame[] = [];
  for (let i = 0; i < all.length; i++) out.push(...dec.push(all.subarray(i, i + 1)));
  t.is(out.length, 3);
  t.deepEqual(out.map(plain), frames.map((f) => ({ opcode: f[4]!, requestId: f.readUInt32BE(5), body: f.subarray(HEADER_SIZE) })));
});

test('many frames in one chunk are returned without copying', (t) => {
  const chunk = Buffer.concat([encode({ type: 'Ping' }, 7), encode({ type: 'Ack', upTo: 9 }, 8)]);
  const out = new FrameDecoder().push(chunk);
  t.is(out.length, 2);
  t.is(out[1]!.body.buffer, chunk.buffer);
});

test('a declared length over the maximum is refused before buffering, and the stream stays refused', (t) => {
  const dec = new FrameDecoder(1024);
  const head = Buffer.alloc(HEADER_SIZE);
  writeHeader(head, 0, 0x05, 1, 1025);
  const err = t.throws(() => dec.push(head), { instanceOf: ProtocolError });
  t.is(err?.code, 'FRAME_TOO_LARGE');
  t.is(dec.pending, 0);
  t.throws(() => dec.push(encode({ type: 'Ping' }, 1)), { instanceOf: ProtocolError });
});

testProp(
  'arbitrary bytes produce frames or a ProtocolError, never another exception or a hang',
  [fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 })],
  (t, chunks) => {
    const dec = new FrameDecoder(4096);
    for (const c of chunks) {
      let frames: Frame[];
      try {
        frames = dec.push(Buffer.from(c));
      } catch (err) {
        t.true(err instanceof ProtocolError);
        return;
      }
      for (const f of frames) {
        try {
          decode(f.opcode, f.body);
        } catch (err) {
          if (!(err instanceof ProtocolError)) t.fail(`unexpected ${String(err)}`);
        }
      }
    }
    t.pass();
  },
  { numRuns: 500 },
);

testProp(
  'a valid frame with bytes flipped decodes or fails with ProtocolError only',
  [messageArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })],
  (t, m, flips) => {
    const frame = Buffer.from(encode(m, 1));
    for (const [at, v] of flips) frame[at % frame.length] = v;
    try {
      for (const f of new FrameDecoder().push(frame)) decode(f.opcode, f.body);
    } catch (err) {
      t.true(err instanceof ProtocolError, String(err));
      return;
    }
    t.pass();
  },
  { numRuns: 500 },
);
