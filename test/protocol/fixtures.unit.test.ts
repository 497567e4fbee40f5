/**
 * Golden frames (test/fixtures/*.json): bytes written by hand from docs/PROTOCOL.md, decoded and
 * encoded both ways. Every other wire test goes through our own encoder; these are the ones that
 * fail when the wire format itself changes (a field moved, widened, renumbered).
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decode, encode, type Message } from '../../src/protocol/codec.js';
import { FrameDecoder } from '../../src/protocol/framing.js';
import { schema, type MessageName } from '../../src/protocol/schema.js';

interface Fixture {
  file: string;
  message: MessageName;
  requestId: number;
  value: Record<string, unknown>;
  frame: Array<[hex: string, what: string]>;
}

const DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** `XX` is a byte, `XX*N` that byte N times. */
function bytesOf(rows: Fixture['frame']): Buffer {
  const out: number[] = [];
  for (const [hex] of rows) {
    for (const tok of hex.trim().split(/\s+/)) {
      const m = /^([0-9a-f]{2})(?:\*(\d+))?$/i.exec(tok);
      if (!m) throw new Error(`bad token ${tok}`);
      const n = m[2] === undefined ? 1 : Number(m[2]);
      for (let i = 0; i < n; i++) out.push(parseInt(m[1]!, 16));
    }
  }
  return Buffer.from(out);
}

const fixtures: Fixture[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(DIR + file, 'utf8')) as Omit<Fixture, 'file'>) }));

test('every message of the schema has exactly one golden frame', (t) => {
  const covered = fixtures.map((f) => f.message).sort();
  t.deepEqual(covered, Object.keys(schema).sort());
});

for (const fx of fixtures) {
  const frame = bytesOf(fx.frame);
  const msg = { type: fx.message, ...fx.value } as Message;

  test(`${fx.file}: the hand-written ${fx.message} frame decodes to its value`, (t) => {
    const frames = new FrameDecoder().push(frame);
    t.is(frames.length, 1, 'one whole frame, nothing left over');
    const [f] = frames;
    t.is(f!.opcode, schema[fx.message].op);
    t.is(f!.requestId, fx.requestId);
    t.deepEqual(decode(f!.opcode, f!.body), msg);
  });

  test(`${fx.file}: encoding the ${fx.message} value gives the hand-written bytes`, (t) => {
    t.deepEqual(encode(msg, fx.requestId).toString('hex'), frame.toString('hex'));
  });
}
