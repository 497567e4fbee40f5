import test from 'ava';
import { encode, type Message } from '../../src/protocol/codec.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { HEADER_AT, writeHeader, type Frame } from '../../src/protocol/framing.js';
import { MessageReader } from '../../src/protocol/messageReader.js';

const ping = encode({ type: 'Ping' }, 7);
const pong = encode({ type: 'Pong' }, 7);

function readAll(r: MessageReader, chunks: Buffer[]): Array<[Message | ProtocolError, number]> {
  const out: Array<[Message | ProtocolError, number]> = [];
  for (const c of chunks) {
    const broken = r.read(c, (m, f: Frame) => out.push([m, f.requestId]));
    if (broken) out.push([broken, -1]);
  }
  return out;
}

test('a message split across chunks and one coalesced with the next come out whole, in order', (t) => {
  const bytes = Buffer.concat([ping, encode({ type: 'Logout' }, 8)]);
  const out = readAll(new MessageReader(['request']), [bytes.subarray(0, 3), bytes.subarray(3, ping.length + 2), bytes.subarray(ping.length + 2)]);
  t.deepEqual(out, [
    [{ type: 'Ping' }, 7],
    [{ type: 'Logout' }, 8],
  ]);
});

test('a message of a direction this end does not receive is an UNEXPECTED_MESSAGE error, and the stream goes on', (t) => {
  const out = readAll(new MessageReader(['request']), [Buffer.concat([pong, ping])]);
  t.true(out[0]![0] instanceof ProtocolError);
  t.is((out[0]![0] as ProtocolError).code, 'UNEXPECTED_MESSAGE');
  t.regex((out[0]![0] as ProtocolError).message, /Pong is not a request/);
  t.deepEqual(out[1], [{ type: 'Ping' }, 7]);
  t.deepEqual(readAll(new MessageReader(['response', 'push']), [pong]), [[{ type: 'Pong' }, 7]]);
});

test('an unknown opcode or a wrong body size is an error for that frame only', (t) => {
  const unknown = Buffer.from(ping);
  unknown[HEADER_AT.opcode] = 0x3f;
  const long = Buffer.alloc(ping.length + 1);
  writeHeader(long, 0, ping[HEADER_AT.opcode]!, 9, 1);
  const out = readAll(new MessageReader(['request']), [Buffer.concat([unknown, long, ping])]);
  t.deepEqual(
    out.map(([m, id]) => [m instanceof ProtocolError ? m.code : m.type, id]),
    [
      ['UNKNOWN_OPCODE', 7],
      ['BAD_SIZE', 9],
      ['Ping', 7],
    ],
  );
});

test('a frame over the size limit breaks the stream: FRAME_TOO_LARGE, then every later chunk is refused too', (t) => {
  const r = new MessageReader(['request'], 16);
  const big = Buffer.alloc(ping.length);
  writeHeader(big, 0, ping[HEADER_AT.opcode]!, 1, 17);
  const first = r.frames(big);
  t.true(first instanceof ProtocolError);
  t.is((first as ProtocolError).code, 'FRAME_TOO_LARGE');
  const again = r.frames(ping);
  t.true(again instanceof ProtocolError);
  t.deepEqual(readAll(r, [ping]).map(([m]) => (m as ProtocolError).code), ['FRAME_TOO_LARGE']);
});
