/** The edge rules docs/PROTOCOL.md states, checked against a real server over TCP. */
import test from 'ava';
import { encode } from '../../src/protocol/codec.js';
import { ErrorCode } from '../../src/protocol/errors.js';
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

test('after DeleteAccount the session is logged out and the connection stays (what it sent: messaging.test.ts)', async (t) => {
  const a = await srv.user('edge-d1');
  t.deepEqual(await a.deleteAccount(PASSWORD, true), { deleted: true });
  t.is(await codeOf(a.fetch()), 'NOT_LOGGED_IN');
  await t.notThrowsAsync(a.ping());
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
