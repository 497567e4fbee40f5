/**
 * `npm run bench:codec`: encode and decode rates of the schema-driven codec, side by side with a
 * hand-written reference decoder of the same frames (readUInt32BE, indexOf(0), latin1Slice) in the
 * same process. Target: decode within 3x of the reference.
 */
import { Bench } from 'tinybench';
import { decode, encode, fieldSpan, layout, type Message } from '../src/protocol/codec.js';
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

// Reference decoders: fixed offsets, as a C programmer would write them, taken once from the schema
// (never written as numbers outside src/protocol).
const SEND = {
  recipient: fieldSpan('Send', 'recipient'),
  clientId: fieldSpan('Send', 'clientId'),
  flags: fieldSpan('Send', 'flags'),
  content: fieldSpan('Send', 'content'),
};
const ITEM = {
  id: fieldSpan('Message', 'id'),
  sender: fieldSpan('Message', 'sender'),
  clientId: fieldSpan('Message', 'clientId'),
  flags: fieldSpan('Message', 'flags'),
  sentAt: fieldSpan('Message', 'sentAt'),
  content: fieldSpan('Message', 'content'),
};
const batchLayout = layout('MessageBatch');
const BATCH = {
  remaining: fieldSpan('MessageBatch', 'remaining'),
  countAt: batchLayout.list!.countAt,
  itemsAt: batchLayout.fixed,
  itemSize: batchLayout.list!.itemSize,
};

function refSend(b: Fast) {
  return {
    type: 'Send',
    recipient: str(b, SEND.recipient.at, SEND.recipient.size),
    clientId: b.readUInt32BE(SEND.clientId.at),
    flags: b[SEND.flags.at],
    content: str(b, SEND.content.at, SEND.content.size),
  };
}
function refBatch(b: Fast) {
  const n = b.readUInt16BE(BATCH.countAt);
  const messages = new Array(n);
  for (let i = 0, at = BATCH.itemsAt; i < n; i++, at += BATCH.itemSize) {
    messages[i] = {
      id: b.readUInt32BE(at + ITEM.id.at),
      sender: str(b, at + ITEM.sender.at, ITEM.sender.size),
      clientId: b.readUInt32BE(at + ITEM.clientId.at),
      flags: b[at + ITEM.flags.at],
      sentAt: b.readDoubleBE(at + ITEM.sentAt.at),
      content: str(b, at + ITEM.content.at, ITEM.content.size),
    };
  }
  return { type: 'MessageBatch', remaining: b.readUInt32BE(BATCH.remaining.at), messages };
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
