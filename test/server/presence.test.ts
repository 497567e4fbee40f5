import test from 'ava';
import { ServerError } from '../../src/protocol/errors.js';
import { MAX_WATCH } from '../../src/protocol/schema.js';
import { PASSWORD, startTestServer, type TestServer } from './helpers.js';
import { record } from './events.js';

let srv: TestServer;
test.before(async () => {
  srv = await startTestServer();
});
test.after.always(async () => {
  await srv?.stop();
});

test('Watch answers which of the names are online now', async (t) => {
  const w = await srv.user('pw-watcher');
  await srv.user('pw-on');
  const off = await srv.user('pw-off');
  await off.logout();
  t.deepEqual(await w.watch(['pw-off', 'pw-on', 'pw-nobody', 'pw-on']), ['pw-on']);
  t.deepEqual(await w.watch([]), []);
});

test('PresenceChanged comes on login, logout, disconnect and deletion, not on takeover', async (t) => {
  const w = await srv.user('pc-watcher');
  const rec = record(w);
  t.deepEqual(await w.watch(['pc-x']), []);

  const x = await srv.user('pc-x');
  await rec.until(1);
  await x.logout();
  await rec.until(2);

  await x.login('pc-x', PASSWORD);
  await rec.until(3);
  const x2 = await srv.connect();
  await x2.login('pc-x', PASSWORD); // takes over: still online
  await x.login('pc-x', PASSWORD); // and back: still online
  await w.ping();
  t.is(rec.events.length, 3, 'a takeover changes nothing');

  await x.close();
  await rec.until(4);
  await x2.login('pc-x', PASSWORD);
  await rec.until(5);
  await x2.deleteAccount(PASSWORD, true);
  await rec.until(6);
  await w.ping();
  t.deepEqual(rec.events, [
    { name: 'pc-x', online: true },
    { name: 'pc-x', online: false },
    { name: 'pc-x', online: true },
    { name: 'pc-x', online: false },
    { name: 'pc-x', online: true },
    { name: 'pc-x', online: false },
  ]);
});

test('a watch set is replaced by the next Watch and ends at logout', async (t) => {
  const w = await srv.user('pr-watcher');
  const rec = record(w);
  await w.watch(['pr-a']);
  await w.watch(['pr-b']);
  await srv.user('pr-a');
  const b = await srv.user('pr-b');
  await rec.until(1);
  await w.logout();
  await w.login('pr-watcher', PASSWORD);
  await b.logout();
  await w.ping();
  t.deepEqual(rec.events, [{ name: 'pr-b', online: true }]);
});

test(`Watch refuses more than ${MAX_WATCH} names and needs a login`, async (t) => {
  const w = await srv.user('pl-watcher');
  const names = Array.from({ length: MAX_WATCH + 1 }, (_, i) => `pl-${i}`);
  const err = await t.throwsAsync(w.watch(names), { instanceOf: ServerError });
  t.is((err as ServerError).code, 'INVALID_ARGUMENT');
  t.deepEqual(await w.watch(names.slice(0, MAX_WATCH)), []);
  const anon = await srv.connect();
  const e2 = await t.throwsAsync(anon.watch(['pl-watcher']), { instanceOf: ServerError });
  t.is((e2 as ServerError).code, 'NOT_LOGGED_IN');
});
