/** `content` is printable ASCII: every control byte is BAD_FIELD, on encode and on decode. */
import test from 'ava';
import { decode, encode, fieldSpan } from '../../src/protocol/codec.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { HEADER_SIZE } from '../../src/protocol/framing.js';

const OSC = '\x1b]0;pwned\x07';
const CONTENT = fieldSpan('Send', 'content');

/** A Send frame body whose content bytes are `bytes`, written by hand past the encoder. */
function sendBody(bytes: number[]): Buffer {
  const body = Buffer.from(encode({ type: 'Send', recipient: 'bob', clientId: 1, flags: 0, content: 'x' }, 1).subarray(HEADER_SIZE));
  body.fill(0, CONTENT.at, CONTENT.at + CONTENT.size);
  Buffer.from(bytes).copy(body, CONTENT.at);
  return body;
}

test('every printable ASCII character round-trips in content', (t) => {
  let all = '';
  for (let c = 0x20; c <= 0x7e; c++) all += String.fromCharCode(c);
  const frame = encode({ type: 'Send', recipient: 'bob', clientId: 1, flags: 0, content: all }, 1);
  t.like(decode(frame[4]!, frame.subarray(HEADER_SIZE)), { content: all });
});

test('an encoder refuses content with any control character, naming the field', (t) => {
  for (const bad of [OSC, 'line\nbreak', 'tab\there', 'cr\r', 'bell\x07', 'del\x7f', '\x1b[2J']) {
    const err = t.throws(() => encode({ type: 'Send', recipient: 'bob', clientId: 1, flags: 0, content: bad }, 1), { instanceOf: ProtocolError });
    t.is(err?.code, 'BAD_FIELD');
    t.is(err?.field, 'content');
  }
  // Pushes and batches too: a server can never relay one.
  t.throws(() => encode({ type: 'Message', id: 1, sender: 'a', clientId: 0, flags: 0, sentAt: 0, content: OSC }, 0), { instanceOf: ProtocolError });
});

test('a decoder refuses content with any control byte (0x01-0x1F, 0x7F) as BAD_FIELD', (t) => {
  const sendOp = encode({ type: 'Send', recipient: 'bob', clientId: 1, flags: 0, content: 'x' }, 1)[4]!;
  for (const c of [0x01, 0x07, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f]) {
    const err = t.throws(() => decode(sendOp, sendBody([0x61, c, 0x62])), { instanceOf: ProtocolError });
    t.is(err?.code, 'BAD_FIELD', `byte ${c}`);
  }
  t.like(decode(sendOp, sendBody([0x20, 0x7e])), { content: ' ~' });
});

test('the four-bytes-at-a-time check finds a control byte at every position, and passes every printable one', (t) => {
  const sendOp = encode({ type: 'Send', recipient: 'bob', clientId: 1, flags: 0, content: 'x' }, 1)[4]!;
  for (let len = 1; len <= 13; len++) {
    for (let pos = 0; pos < len; pos++) {
      for (const c of [0x01, 0x1f, 0x7f]) {
        const bytes = Array.from({ length: len }, (_, i) => (i === pos ? c : 0x20 + ((i * 7) % 95)));
        t.throws(() => decode(sendOp, sendBody(bytes)), { instanceOf: ProtocolError }, `len ${len} pos ${pos} byte ${c}`);
      }
    }
    const ok = Array.from({ length: len }, (_, i) => 0x20 + ((i * 31) % 95));
    t.is((decode(sendOp, sendBody(ok)) as { content: string }).content, Buffer.from(ok).toString('latin1'));
  }
});
