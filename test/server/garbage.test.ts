import test from 'ava';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { decode, encode } from '../../src/protocol/codec.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { DEFAULT_MAX_BODY, FrameDecoder, HEADER_SIZE, writeHeader } from '../../src/protocol/framing.js';
import { inbox, raw, startTestServer, type TestServer } from './helpers.js';

let srv: TestServer;
test.before(async () => {
  srv = await startTestServer();
});
test.after.always(async () => {
  await srv?.stop();
});

function frame(opcode: number, requestId: number, body: Buffer): Buffer {
  const b = Buffer.alloc(HEADER_SIZE + body.length);
  writeHeader(b, 0, opcode, requestId, body.length);
  body.copy(b, HEADER_SIZE);
  return b;
}

test('unknown opcode, wrong size, bad field and a response opcode each get an Error with the request id, and the connection keeps serving', async (t) => {
  const r = await raw(srv.port);
  const badField = encode({ type: 'Register', username: 'ok', password: 'pw' }, 4);
  badField[HEADER_SIZE + 1] = 0xff; // non-ASCII inside the username
  r.socket.write(
    Buffer.concat([
      frame(0x3e, 1, Buffer.alloc(3)),
      frame(0x09, 2, Buffer.alloc(5)), // Ping has an empty body
      frame(0x01, 3, Buffer.alloc(10)), // Register body too short
      badField,
      encode({ type: 'Pong' }, 5),
      encode({ type: 'Ping' }, 6),
    ]),
  );
  const replies = await r.next(6);
  const ids = r.frames.map((f) => f.requestId);
  t.deepEqual(ids, [1, 2, 3, 4, 5, 6]);
  const codes = replies.map((m) => (m.type === 'Error' ? m.code : m.type));
  t.deepEqual(codes, [
    ErrorCode.UNKNOWN_OPCODE,
    ErrorCode.BAD_SIZE,
    ErrorCode.TRUNCATED,
    ErrorCode.BAD_FIELD,
    ErrorCode.UNEXPECTED_MESSAGE,
    'Pong',
  ]);
  for (const m of replies) if (m.type === 'Error') t.true(m.text.length > 0);
  r.socket.destroy();
});

test('an oversized frame gets FRAME_TOO_LARGE and that connection only is closed', async (t) => {
  const a = await srv.user('big-a');
  const b = await srv.user('big-b');
  const r = await raw(srv.port);
  const header = Buffer.alloc(HEADER_SIZE);
  writeHeader(header, 0, 0x05, 9, DEFAULT_MAX_BODY + 1);
  r.socket.write(header);
  const [m] = await r.next(1);
  t.is(m?.type, 'Error');
  t.is(m?.type === 'Error' ? m.code : 0, ErrorCode.FRAME_TOO_LARGE);
  t.is(r.frames[0]?.requestId, 0, 'sent with request id 0, not that of the frame');
  await r.closed;
  const box = inbox(b);
  const id = await a.send('big-b', 'still here');
  t.is((await box.until(1))[0]?.id, id);
});

test('random bytes from one socket while another client chats normally: the server stays up', async (t) => {
  const a = await srv.user('calm-a');
  const b = await srv.user('calm-b');
  const box = inbox(b);
  const noisy = await Promise.all(Array.from({ length: 4 }, () => raw(srv.port)));
  const chat = (async () => {
    const ids: number[] = [];
    for (let i = 0; i < 50; i++) ids.push(await a.send('calm-b', `calm ${i}`));
    return ids;
  })();
  for (let round = 0; round < 20; round++) {
    for (const n of noisy) if (!n.socket.destroyed) n.socket.write(randomBytes(1 + Math.floor(Math.random() * 2000)));
  }
  const ids = await chat;
  const got = await box.until(50);
  t.deepEqual(got.map((m) => m.id), ids);
  for (const n of noisy) n.socket.destroy();
  await a.ping();
  // A fresh connection still works.
  const c = await srv.connect();
  await c.ping();
});
