/** The edge rules docs/PROTOCOL.md states, checked against a real server over TCP. */
import test from 'ava';
import { encode } from '../../src/protocol/codec.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { MessageFlags } from '../../src/protocol/schema.js';
import { inbox, PASSWORD, raw, startTestServer, type TestServer } from './helpers.js';

let srv: TestServer;
test.before(async () => {
  srv = await startTestServer();
});
test.after.always(async () => {
  await srv?.stop();
});

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (err: { code?: string }) => err.code,
  );

test('a request with request id 0 is answered like any other, with request id 0', async (t) => {
  const r = await raw(srv.port);
  r.socket.write(Buffer.concat([encode({ type: 'Ping' }, 0), encode({ type: 'Ping' }, 5)]));
  const replies = await r.next(2);
  t.deepEqual(replies.map((m) => m.type), ['Pong', 'Pong']);
  t.deepEqual(r.frames.map((f) => f.requestId), [0, 5]);
  r.socket.destroy();
});

test('Register while logged in answers Ok and the connection stays logged in as before', async (t) => {
  const c = await srv.user('edge-reg');
  await c.register('edge-reg2', PASSWORD);
  await t.notThrowsAsync(c.listAccounts('edge-reg*'));
  const other = await srv.connect();
  await t.notThrowsAsync(other.login('edge-reg2', PASSWORD));
});

test('Login on a logged-in connection answers LoginOk (to the same or another account); a failed one keeps the session', async (t) => {
  const c = await srv.user('edge-l1');
  await srv.user('edge-l2');
  t.deepEqual(await c.login('edge-l1', PASSWORD), { undelivered: 0 });
  t.deepEqual(await c.login('edge-l2', PASSWORD), { undelivered: 0 });
  t.is(await codeOf(c.login('edge-l1', 'wrong')), 'BAD_CREDENTIALS');
  // Still edge-l2: a message to edge-l2 is pushed here.
  const box = inbox(c);
  const a = await srv.user('edge-l3');
  const id = await a.send('edge-l2', 'still you');
  t.is((await box.until(1))[0]?.id, id);
});

test('Send flags other than UTF7 and RESEND are refused with INVALID_ARGUMENT; UTF7 is copied to the recipient', async (t) => {
  const a = await srv.user('edge-f1');
  const b = await srv.user('edge-f2');
  for (const flags of [MessageFlags.SENDER_DELETED, 8, 0x80]) t.is(await codeOf(a.send('edge-f2', 'x', undefined, flags)), 'INVALID_ARGUMENT');
  const box = inbox(b);
  await a.send('edge-f2', '+AOk-', undefined, MessageFlags.UTF7);
  t.is((await box.until(1))[0]?.flags, MessageFlags.UTF7);
});

test('a clientId reused with other content or recipient is CLIENT_ID_REUSED; clientId 0 is never de-duplicated', async (t) => {
  const a = await srv.user('edge-c1');
  await srv.user('edge-c2');
  await srv.user('edge-c3');
  const first = await a.send('edge-c2', 'one', 77);
  t.is(await a.send('edge-c2', 'one', 77), first);
  t.is(await codeOf(a.send('edge-c2', 'two', 77)), 'CLIENT_ID_REUSED');
  t.is(await codeOf(a.send('edge-c3', 'one', 77)), 'CLIENT_ID_REUSED');
  const x = await a.send('edge-c2', 'same', 0);
  const y = await a.send('edge-c2', 'same', 0);
  t.true(y > x);
  const b = await srv.connect();
  await b.login('edge-c2', PASSWORD);
  const { messages } = await b.fetch(0);
  t.deepEqual(messages.map((m) => m.content), ['one', 'same', 'same']);
});

test('pushed but unacknowledged messages count as waiting (LoginOk, ConfirmDelete)', async (t) => {
  const a = await srv.user('edge-w1');
  const b = await srv.user('edge-w2');
  const box = inbox(b);
  await a.send('edge-w2', 'pushed');
  await box.until(1);
  t.deepEqual(await b.deleteAccount(PASSWORD, false), { deleted: false, waiting: 1 });
  const again = await srv.connect();
  t.deepEqual(await again.login('edge-w2', PASSWORD), { undelivered: 1 });
});

test('after DeleteAccount the session is logged out, the connection stays, and sent messages keep the sender name', async (t) => {
  const a = await srv.user('edge-d1');
  await srv.user('edge-d2');
  await a.send('edge-d2', 'from a deleted account');
  t.deepEqual(await a.deleteAccount(PASSWORD, true), { deleted: true });
  t.is(await codeOf(a.fetch()), 'NOT_LOGGED_IN');
  await t.notThrowsAsync(a.ping());
  const b = await srv.connect();
  await b.login('edge-d2', PASSWORD);
  const [m] = (await b.fetch()).messages;
  t.is(m?.sender, 'edge-d1');
  t.is(m?.flags, MessageFlags.SENDER_DELETED);
});

test('a body one byte short is TRUNCATED and one byte long is BAD_SIZE', async (t) => {
  const r = await raw(srv.port);
  const ack = encode({ type: 'Ack', upTo: 1 }, 1);
  const short = Buffer.from(ack.subarray(0, ack.length - 1));
  short.writeUInt32BE(ack.readUInt32BE(0) - 1, 0);
  const long = Buffer.concat([ack, Buffer.alloc(1)]);
  long.writeUInt32BE(ack.readUInt32BE(0) + 1, 0);
  long.writeUInt32BE(2, 5);
  r.socket.write(Buffer.concat([short, long]));
  const replies = await r.next(2);
  t.deepEqual(replies.map((m) => (m.type === 'Error' ? m.code : m.type)), [ErrorCode.TRUNCATED, ErrorCode.BAD_SIZE]);
  r.socket.destroy();
});
