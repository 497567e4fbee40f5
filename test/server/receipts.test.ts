import test from 'ava';
import { encode } from '../../src/protocol/codec.js';
import { MessageFlags, schema } from '../../src/protocol/schema.js';
import { drain, inbox, PASSWORD, raw, startTestServer, type TestServer } from './helpers.js';
import { record } from './events.js';

let srv: TestServer;
test.before(async () => {
  srv = await startTestServer();
});
test.after.always(async () => {
  await srv?.stop();
});

test('an online sender gets a receipt when the recipient acknowledges a pushed message', async (t) => {
  const a = await srv.user('rc-live-a');
  const b = await srv.user('rc-live-b');
  const rec = record(a);
  const box = inbox(b);
  const id = await a.send('rc-live-b', 'hello');
  await box.until(1);
  t.deepEqual(rec.events, [], 'no receipt before the ack');
  await b.ack(id);
  t.deepEqual(await rec.until(1), [{ delivered: [id] }]);
});

test('one Ack of fetched messages gives the online sender one receipt with all their ids', async (t) => {
  const a = await srv.user('rc-fetch-a');
  const b = await srv.user('rc-fetch-b');
  await b.logout();
  const rec = record(a);
  const ids = [await a.send('rc-fetch-b', 'one'), await a.send('rc-fetch-b', 'two'), await a.send('rc-fetch-b', 'three')];
  await b.login('rc-fetch-b', PASSWORD);
  t.deepEqual((await drain(b)).map((m) => m.id), ids);
  t.deepEqual(await rec.until(1), [{ delivered: ids }]);
});

test('receipts for an offline sender arrive right after its next login, and the same ones again at a login soon after', async (t) => {
  const a = await srv.user('rc-off-a');
  const b = await srv.user('rc-off-b');
  await b.logout();
  const ids = [await a.send('rc-off-b', 'one'), await a.send('rc-off-b', 'two')];
  await a.close();
  await b.login('rc-off-b', PASSWORD);
  t.deepEqual((await drain(b)).map((m) => m.id), ids);

  const a2 = await srv.connect();
  const rec = record(a2);
  await a2.login('rc-off-a', PASSWORD);
  t.deepEqual(await rec.until(1), [{ delivered: ids }]);
  await a2.logout();
  await a2.login('rc-off-a', PASSWORD);
  // Within the replay window a Login pushes its recent receipts again (harmless repeats), nothing more.
  t.deepEqual(await rec.until(2), [{ delivered: ids }, { delivered: ids }]);
});

test('a sender that went offline after a live push gets the receipt at its next login', async (t) => {
  const a = await srv.user('rc-gone-a');
  const b = await srv.user('rc-gone-b');
  const box = inbox(b);
  const id = await a.send('rc-gone-b', 'hello');
  await a.logout();
  await box.until(1);
  await b.ack(id);
  const rec = record(a);
  await a.login('rc-gone-a', PASSWORD);
  t.deepEqual(await rec.until(1), [{ delivered: [id] }]);
});

test('a message to oneself is receipted to oneself', async (t) => {
  const a = await srv.user('rc-self');
  const rec = record(a);
  const box = inbox(a);
  const id = await a.send('rc-self', 'note');
  await box.until(1);
  await a.ack(id);
  t.deepEqual(await rec.until(1), [{ delivered: [id] }]);
});

test('one Ack gives each sender one receipt, for messages stored and not yet written alike', async (t) => {
  // A long hold: the live message is still unwritten when the Ack comes.
  const held = await startTestServer({ ackWaitMs: 60_000 });
  t.teardown(() => held.stop());
  const a = await held.user('rc-mix-a');
  const b = await held.user('rc-mix-b');
  await b.logout();
  const stored = await a.send('rc-mix-b', 'stored');
  await b.login('rc-mix-b', PASSWORD);
  t.deepEqual((await b.fetch(10)).messages.map((m) => m.id), [stored]);
  const rec = record(a);
  const box = inbox(b);
  const sending = a.send('rc-mix-b', 'live');
  const [live] = await box.until(1);
  await b.ack(live!.id);
  t.is(await sending, live!.id, 'accepted as delivered, never written');
  await a.ping();
  t.is(rec.events.length, 1, 'one push');
  t.deepEqual([...(rec.events[0] as { delivered: number[] }).delivered].sort((x, y) => x - y), [stored, live!.id]);
});

test("a sender whose connection died with receipts on their way gets them again at its next Login", async (t) => {
  const a = await srv.user('rc-replay-a');
  const b = await srv.user('rc-replay-b');
  await b.logout();
  const id = await a.send('rc-replay-b', 'are you there');
  await a.close();
  // a logs in on a connection that reads nothing: the receipt goes to it and is lost with it.
  const dead = await raw(srv.port);
  dead.socket.write(encode({ type: 'Login', username: 'rc-replay-a', password: PASSWORD }, 1));
  await dead.until((frames) => frames.length >= 1);
  await b.login('rc-replay-b', PASSWORD);
  await b.ack((await b.fetch(10)).messages.at(-1)!.id);
  await dead.until((frames) => frames.some((f) => f.opcode === schema.Delivered.op));
  dead.socket.destroy();
  await dead.closed;
  // Logged in again a moment later: the receipt comes again.
  const again = await srv.connect();
  const rec = record(again);
  await again.login('rc-replay-a', PASSWORD);
  t.deepEqual(await rec.until(1), [{ delivered: [id] }]);
});

test("a resend waiting for its commit holds back the sender's later messages: the recipient gets them in the order sent", async (t) => {
  const a = await srv.user('rc-order-a');
  const b = await srv.user('rc-order-b');
  const box = inbox(b);
  // The first is a resend (pushed only after its commit), the second is new (pushed at once, but
  // not before the one sent ahead of it).
  const first = a.send('rc-order-b', 'first', undefined, MessageFlags.RESEND);
  const second = a.send('rc-order-b', 'second');
  await Promise.all([first, second]);
  t.deepEqual(
    (await box.until(2)).map((m) => m.content),
    ['first', 'second'],
  );
});

test('a resend of a message delivered and acknowledged before it was written brings its receipt again after the Accepted', async (t) => {
  // A long ack wait: the Ack surely comes before the message reaches the store, so nothing is written.
  const held = await startTestServer({ ackWaitMs: 60_000, ackWaitMaxMs: 60_000 });
  t.teardown(() => held.stop());
  const a = await held.user('rc-again-a');
  const b = await held.user('rc-again-b');
  const box = inbox(b);
  const clientId = a.newClientId();
  const sending = a.send('rc-again-b', 'once', clientId);
  const [m] = await box.until(1);
  await b.ack(m!.id);
  const id = await sending;
  const rec = record(a);
  // The sender missed the Accepted and the receipt (its link was held, say) and resends.
  t.is(await a.send('rc-again-b', 'once', clientId, MessageFlags.RESEND), id);
  t.deepEqual(await rec.until(1), [{ delivered: [id] }]);
});
