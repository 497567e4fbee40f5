import test from 'ava';
import { ServerError } from '../../src/protocol/errors.js';
import { MessageFlags } from '../../src/protocol/schema.js';
import { drain, inbox, PASSWORD, startTestServer, type TestServer } from './helpers.js';

let srv: TestServer;
test.before(async () => {
  srv = await startTestServer();
});
test.after.always(async () => {
  await srv?.stop();
});

test('sending to an unknown user gives NO_SUCH_USER', async (t) => {
  const a = await srv.user('nsu-a');
  const err = await t.throwsAsync(a.send('nobody-here', 'hello'), { instanceOf: ServerError });
  t.is((err as ServerError).code, 'NO_SUCH_USER');
});

test('an empty message gives INVALID_ARGUMENT', async (t) => {
  const a = await srv.user('empty-a');
  await srv.user('empty-b');
  const err = await t.throwsAsync(a.send('empty-b', ''), { instanceOf: ServerError });
  t.is((err as ServerError).code, 'INVALID_ARGUMENT');
});

test('a message to an online recipient is pushed with the accepted id', async (t) => {
  const a = await srv.user('push-a');
  const b = await srv.user('push-b');
  const box = inbox(b);
  const before = Date.now();
  const id = await a.send('push-b', 'hello there');
  const after = Date.now();
  const [m] = await box.until(1);
  t.like(m, { id, sender: 'push-a', flags: 0, content: 'hello there' });
  // The server's clock is this process's: stamped between the Send and its answer.
  t.true(m!.sentAt >= before && m!.sentAt <= after, `sentAt ${m!.sentAt} not in [${before}, ${after}]`);
  // Pushed but not acked: it is still queued.
  t.deepEqual((await b.fetch(10)).messages.map((x) => x.id), [id]);
  await b.ack(id);
  t.deepEqual(await b.fetch(10), { remaining: 0, messages: [] });
});

test('offline messages wait, are counted at login, fetched oldest first in pages and leave on ack', async (t) => {
  const a = await srv.user('page-a');
  const b = await srv.user('page-b');
  await b.logout();
  const ids: number[] = [];
  for (let i = 0; i < 25; i++) ids.push(await a.send('page-b', `m${i}`));
  t.deepEqual(ids, [...ids].sort((x, y) => x - y), 'ids increase');
  t.deepEqual(await b.login('page-b', PASSWORD), { undelivered: 25 });

  const p1 = await b.fetch(10);
  t.is(p1.remaining, 15);
  t.deepEqual(p1.messages.map((m) => m.content), Array.from({ length: 10 }, (_, i) => `m${i}`));
  // Fetch without ack returns the same page again: nothing leaves the queue until acked.
  t.deepEqual((await b.fetch(10)).messages.map((m) => m.id), p1.messages.map((m) => m.id));
  await b.ack(p1.messages[9]!.id);
  const p2 = await b.fetch(10);
  t.is(p2.remaining, 5);
  t.is(p2.messages[0]!.content, 'm10');
  // Ack is cumulative: acking the 20th removes everything up to it.
  await b.ack(ids[19]!);
  const p3 = await b.fetch(100);
  t.deepEqual(p3.messages.map((m) => m.content), ['m20', 'm21', 'm22', 'm23', 'm24']);
  t.is(p3.remaining, 0);
  await b.ack(ids[24]!);
  t.deepEqual(await b.login('page-b', PASSWORD), { undelivered: 0 });
});

test('fetch max 0 or over the cap returns at most one capped page', async (t) => {
  const a = await srv.user('cap-a');
  const b = await srv.user('cap-b');
  await b.logout();
  const sends = Array.from({ length: 230 }, (_, i) => a.send('cap-b', `n${i}`));
  await Promise.all(sends);
  await b.login('cap-b', PASSWORD);
  const r = await b.fetch(0);
  t.is(r.messages.length, 200);
  t.is(r.remaining, 30);
  t.is((await b.fetch(60000)).messages.length, 200);
  t.is((await drain(b)).length, 230);
});

test('a resend (RESEND flag) with the same client id is stored once, answered with the same id, not pushed again', async (t) => {
  const a = await srv.user('dup-a');
  const b = await srv.user('dup-b');
  const box = inbox(b);
  const pushes: number[] = [];
  b.on('push', (p) => p.type === 'Message' && pushes.push(p.id));
  const id1 = await a.send('dup-b', 'only once', 4242);
  const id2 = await a.send('dup-b', 'only once', 4242, MessageFlags.RESEND);
  t.is(id1, id2);
  const id3 = await a.send('dup-b', 'another', 4243);
  t.not(id3, id1);
  await box.until(2);
  const all = await drain(b);
  t.deepEqual(all.map((m) => m.id), [id1, id3]);
  t.deepEqual(box.messages.map((m) => m.id), [id1, id3]);
  t.deepEqual(pushes, [id1, id3], 'the server did not push the resend');
});

test('a resend without the RESEND flag is stored once; the repeated push is dropped by the client', async (t) => {
  const a = await srv.user('dup3-a');
  const b = await srv.user('dup3-b');
  const box = inbox(b);
  const id1 = await a.send('dup3-b', 'once', 99);
  t.is(await a.send('dup3-b', 'once', 99), id1);
  const id3 = await a.send('dup3-b', 'next', 100);
  await box.until(2);
  t.deepEqual(box.messages.map((m) => [m.id, m.content]), [
    [id1, 'once'],
    [id3, 'next'],
  ]);
  const stored = await drain(b);
  t.deepEqual(stored.filter((m) => m.content === 'once').map((m) => m.id), [id1], 'stored once');
});

test('a client id reused for another text or recipient is refused with CLIENT_ID_REUSED', async (t) => {
  const a = await srv.user('cidr-a');
  await srv.user('cidr-b');
  await srv.user('cidr-c');
  await a.send('cidr-b', 'first', 555);
  const other = await t.throwsAsync(a.send('cidr-b', 'different text', 555), { instanceOf: ServerError });
  t.is((other as ServerError).code, 'CLIENT_ID_REUSED');
  const elsewhere = await t.throwsAsync(a.send('cidr-c', 'first', 555), { instanceOf: ServerError });
  t.is((elsewhere as ServerError).code, 'CLIENT_ID_REUSED');
});

test('client id 0 is never de-duplicated: two Sends are two messages', async (t) => {
  const a = await srv.user('zero-a');
  const b = await srv.user('zero-b');
  const x = await a.send('zero-b', 'same text', 0);
  const y = await a.send('zero-b', 'same text', 0);
  t.not(x, y);
  t.is((await drain(b)).length, 2);
});

test('Send flags other than UTF7, RESEND and ACTION are refused with INVALID_ARGUMENT; UTF7 and ACTION are pushed and kept, RESEND not kept', async (t) => {
  const a = await srv.user('flag-a');
  const b = await srv.user('flag-b');
  for (const flags of [MessageFlags.SENDER_DELETED, 16, 0x80]) {
    const err = await t.throwsAsync(a.send('flag-b', 'x', undefined, flags), { instanceOf: ServerError });
    t.is((err as ServerError).code, 'INVALID_ARGUMENT', `flags ${flags}`);
  }
  const box = inbox(b);
  await a.send('flag-b', '+AOk-t+AOk-', undefined, MessageFlags.UTF7 | MessageFlags.RESEND);
  t.is((await box.until(1))[0]!.flags, MessageFlags.UTF7);
  const [m] = await drain(b);
  t.is(m!.flags, MessageFlags.UTF7, 'RESEND is not stored');
  await a.send('flag-b', 'waves', undefined, MessageFlags.ACTION);
  t.is((await box.until(2))[1]!.flags, MessageFlags.ACTION);
  const [action] = await drain(b);
  t.is(action!.flags, MessageFlags.ACTION, 'ACTION is stored');
});

test('the same client id from another sender is a different message', async (t) => {
  const a = await srv.user('dup2-a');
  const c = await srv.user('dup2-c');
  await srv.user('dup2-b');
  const x = await a.send('dup2-b', 'from a', 7);
  const y = await c.send('dup2-b', 'from c', 7);
  t.not(x, y);
});

test('DeleteAccount with waiting messages asks to confirm and deletes nothing, then deletes with confirm', async (t) => {
  const a = await srv.user('del-a');
  const b = await srv.user('del-b');
  await a.send('del-b', 'one');
  await a.send('del-b', 'two');
  const err = await t.throwsAsync(b.deleteAccount('wrong password', true), { instanceOf: ServerError });
  t.is((err as ServerError).code, 'BAD_CREDENTIALS');
  t.deepEqual(await b.deleteAccount(PASSWORD, false), { deleted: false, waiting: 2 });
  t.is((await b.fetch(10)).messages.length, 2, 'nothing was deleted');
  t.deepEqual(await b.deleteAccount(PASSWORD, true), { deleted: true });
  const gone = await t.throwsAsync(b.fetch(1), { instanceOf: ServerError });
  t.is((gone as ServerError).code, 'NOT_LOGGED_IN', 'the deleting session is logged out');
  const login = await t.throwsAsync(b.login('del-b', PASSWORD), { instanceOf: ServerError });
  t.is((login as ServerError).code, 'BAD_CREDENTIALS');
  const send = await t.throwsAsync(a.send('del-b', 'hello?'), { instanceOf: ServerError });
  t.is((send as ServerError).code, 'NO_SUCH_USER');
});

test('messages from a deleted account stay with the recipient, flagged SENDER_DELETED', async (t) => {
  const a = await srv.user('sd-a');
  const b = await srv.user('sd-b');
  await b.logout();
  const id = await a.send('sd-b', 'before I go');
  t.deepEqual(await a.deleteAccount(PASSWORD), { deleted: true });
  await b.login('sd-b', PASSWORD);
  const { messages } = await b.fetch(10);
  t.is(messages.length, 1);
  t.like(messages[0], { id, sender: 'sd-a', content: 'before I go' });
  t.is(messages[0]!.flags & MessageFlags.SENDER_DELETED, MessageFlags.SENDER_DELETED);
});

test('a re-registered name sees nothing of the old account', async (t) => {
  const a = await srv.user('reuse-a');
  const old = await srv.user('reuse');
  await old.logout();
  await a.send('reuse', 'for the old account');
  await old.login('reuse', PASSWORD);
  t.deepEqual(await old.deleteAccount(PASSWORD, true), { deleted: true });
  const fresh = await srv.connect();
  await fresh.register('reuse', 'new password');
  const oldPw = await t.throwsAsync(fresh.login('reuse', PASSWORD), { instanceOf: ServerError });
  t.is((oldPw as ServerError).code, 'BAD_CREDENTIALS', 'the old password does not open the new account');
  t.deepEqual(await fresh.login('reuse', 'new password'), { undelivered: 0 });
  t.deepEqual(await fresh.fetch(10), { remaining: 0, messages: [] });
  // Messages the old account sent are still shown as from a deleted account, not from the new one.
  const c = await srv.user('reuse-c');
  await c.logout();
  const old2 = await srv.user('reuse2');
  await old2.send('reuse-c', 'from the first reuse2');
  await old2.deleteAccount(PASSWORD, true);
  await old2.register('reuse2', PASSWORD);
  await c.login('reuse-c', PASSWORD);
  const [m] = (await c.fetch(10)).messages;
  t.is(m!.flags & MessageFlags.SENDER_DELETED, MessageFlags.SENDER_DELETED);
});

test('per-sender order is kept for pipelined sends', async (t) => {
  const a = await srv.user('order-a');
  const b = await srv.user('order-b');
  const box = inbox(b);
  const ids = await Promise.all(Array.from({ length: 300 }, (_, i) => a.send('order-b', `#${i}`)));
  const pushed = await box.until(300);
  t.deepEqual(pushed.map((m) => m.content), Array.from({ length: 300 }, (_, i) => `#${i}`));
  t.deepEqual(pushed.map((m) => m.id), ids);
});

test('acking a live push does not drop older waiting messages the session never saw', async (t) => {
  const a = await srv.user('unseen-a');
  const b = await srv.user('unseen-b');
  await b.logout();
  const old = [await a.send('unseen-b', 'old 1'), await a.send('unseen-b', 'old 2')];
  t.deepEqual(await b.login('unseen-b', PASSWORD), { undelivered: 2 });
  const box = inbox(b);
  const live = await a.send('unseen-b', 'live');
  const [pushed] = await box.until(1);
  t.is(pushed!.id, live);
  // The client acks the push before fetching the backlog: the two older messages must survive.
  await b.ack(live);
  const waiting = await b.fetch(10);
  t.deepEqual(
    waiting.messages.map((m) => m.id),
    old,
  );
  await b.ack(old[1]!);
  t.deepEqual(await b.fetch(10), { remaining: 0, messages: [] });
});

test('an ack for ids that were never delivered to this session removes nothing', async (t) => {
  const a = await srv.user('blind-a');
  const b = await srv.user('blind-b');
  await b.logout();
  const id = await a.send('blind-b', 'not yet seen');
  await b.login('blind-b', PASSWORD);
  await b.ack(id + 1000);
  t.deepEqual((await b.fetch(10)).messages.map((m) => m.id), [id]);
});
