import test from 'ava';
import { drain, inbox, PASSWORD, startTestServer, type TestServer } from './helpers.js';
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

test('receipts for an offline sender arrive right after its next login, and only once', async (t) => {
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
  await a2.ping(); // a receipt would have come before this answer
  t.deepEqual(rec.events, [{ delivered: ids }], 'not delivered a second time');
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
