/**
 * `npm run bench:codec`: encode and decode rates of the schema-driven codec, side by side with a
 * hand-written reference decoder of the same frames (readUInt32BE, indexOf(0), latin1Slice) in the
 * same process. Target: decode within 3x of the reference.
 */
import { Bench } from 'tinybench';
import { decode, encode, type Message } from '../src/protocol/codec.js';
import { HEADER_SIZE } from '../src/protocol/framing.js';

const quick = process.argv.includes('--quick');
const time = quick ? 200 : 1000;

const send: Message = { type: 'Send', recipient: 'bob', clientId: 42, flags: 0, content: 'hello, this is a chat message of moderate length' };
const sendFrame = encode(send, 7);
const sendBody = sendFrame.subarray(HEADER_SIZE);

const batch: Message = {
  type: 'MessageBatch',
  remaining: 0,
  messages: Array.from({ length: 50 }, (_, i) => ({
    id: i + 1,
    sender: `user${i % 7}`,
    clientId: i,
    flags: 0,
    sentAt: 1_700_000_000_000 + i,
    content: `message number ${i} `.repeat(1 + (i % 5)),
  })),
};
const batchFrame = encode(batch, 9);
const batchBody = batchFrame.subarray(HEADER_SIZE);

type Fast = Buffer & { latin1Slice(start: number, end: number): string };

/** A NUL-terminated fixed-width field, the way one would write it by hand. */
function str(b: Fast, at: number, size: number): string {
  let end = b.indexOf(0, at);
  if (end === -1 || end > at + size) end = at + size;
  return b.latin1Slice(at, end);
}

// Reference decoders: offsets written by hand, as a C programmer would.
function refSend(b: Fast) {
  return { type: 'Send', recipient: str(b, 0, 16), clientId: b.readUInt32BE(16), flags: b[20], content: str(b, 21, 512) };
}
function refBatch(b: Fast) {
  const n = b.readUInt16BE(4);
  const messages = new Array(n);
  for (let i = 0, at = 6; i < n; i++, at += 545) {
    messages[i] = {
      id: b.readUInt32BE(at),
      sender: str(b, at + 4, 16),
      clientId: b.readUInt32BE(at + 20),
      flags: b[at + 24],
      sentAt: b.readDoubleBE(at + 25),
      content: str(b, at + 33, 512),
    };
  }
  return { type: 'MessageBatch', remaining: b.readUInt32BE(0), messages };
}

let sink: unknown;
const bench = new Bench({ time, warmupTime: quick ? 50 : 200 });
bench
  .add('decode Send: termchat codec', () => void (sink = decode(0x05, sendBody)))
  .add('decode Send: hand-written reference', () => void (sink = refSend(sendBody as Fast)))
  .add('encode Send: termchat codec', () => void (sink = encode(send, 7)))
  .add('decode MessageBatch(50): termchat codec', () => void (sink = decode(0x45, batchBody)))
  .add('decode MessageBatch(50): hand-written reference', () => void (sink = refBatch(batchBody as Fast)))
  .add('encode MessageBatch(50): termchat codec', () => void (sink = encode(batch, 9)));

await bench.run();
void sink;

const rate = (name: string) => {
  const r = bench.tasks.find((t) => t.name === name)?.result;
  return r && 'throughput' in r ? r.throughput.mean : Number.NaN;
};
const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;
console.log('\n| operation | termchat codec | reference | reference / codec |');
console.log('|---|---|---|---|');
for (const what of ['Send', 'MessageBatch(50)']) {
  const ours = rate(`decode ${what}: termchat codec`);
  const ref = rate(`decode ${what}: hand-written reference`);
  console.log(`| decode ${what} | ${fmt(ours)} | ${fmt(ref)} | ${(ref / ours).toFixed(2)}x |`);
  console.log(`| encode ${what} | ${fmt(rate(`encode ${what}: termchat codec`))} | | |`);
}
