import test from 'ava';
import { ServerError } from '../../src/protocol/errors.js';
import { PASSWORD, startTestServer, type TestServer } from './helpers.js';

let srv: TestServer;
test.before(async () => {
  srv = await startTestServer();
});
test.after.always(async () => {
  await srv?.stop();
});

const code = (err: unknown) => (err as ServerError).code;

test('register then login reports zero waiting messages', async (t) => {
  const c = await srv.connect();
  await c.register('alice', PASSWORD);
  t.deepEqual(await c.login('alice', PASSWORD), { undelivered: 0 });
  await c.ping();
});

test('a taken username is refused with USERNAME_TAKEN', async (t) => {
  const c = await srv.connect();
  await c.register('taken', PASSWORD);
  const err = await t.throwsAsync(c.register('taken', 'other password'), { instanceOf: ServerError });
  t.is(code(err), 'USERNAME_TAKEN');
});

test('usernames are case-sensitive', async (t) => {
  const c = await srv.connect();
  await c.register('Case', PASSWORD);
  await t.notThrowsAsync(c.register('case', PASSWORD));
});

test('usernames outside 1-16 of [A-Za-z0-9_.-] are refused with INVALID_USERNAME', async (t) => {
  const c = await srv.connect();
  for (const bad of ['', 'has space', 'bang!', 'star*', 'tab\tname']) {
    const err = await t.throwsAsync(c.register(bad, PASSWORD), { instanceOf: ServerError }, JSON.stringify(bad));
    t.is(code(err), 'INVALID_USERNAME', JSON.stringify(bad));
  }
  await t.notThrowsAsync(c.register('a.b-c_D9', PASSWORD));
  await t.notThrowsAsync(c.register('x'.repeat(16), PASSWORD));
});

test('a username longer than the field is refused before it is sent', async (t) => {
  const c = await srv.connect();
  const err = await t.throwsAsync(c.register('x'.repeat(17), PASSWORD));
  t.is((err as { code?: string }).code, 'BAD_FIELD');
});

test('passwords outside 1-64 printable ASCII are refused with INVALID_PASSWORD', async (t) => {
  const c = await srv.connect();
  for (const bad of ['', 'tab\there', 'bell\x07', 'del\x7f']) {
    const err = await t.throwsAsync(c.register('pwuser', bad), { instanceOf: ServerError }, JSON.stringify(bad));
    t.is(code(err), 'INVALID_PASSWORD', JSON.stringify(bad));
  }
  await t.notThrowsAsync(c.register('pwuser', ' ~'.repeat(32)));
  await t.notThrowsAsync(c.login('pwuser', ' ~'.repeat(32)));
});

test('wrong password and unknown user give the same BAD_CREDENTIALS error', async (t) => {
  const c = await srv.connect();
  await c.register('bob', PASSWORD);
  const wrong = (await t.throwsAsync(c.login('bob', 'not it'), { instanceOf: ServerError })) as ServerError;
  const unknown = (await t.throwsAsync(c.login('nobody', PASSWORD), { instanceOf: ServerError })) as ServerError;
  const invalid = (await t.throwsAsync(c.login('no such!', PASSWORD), { instanceOf: ServerError })) as ServerError;
  t.is(wrong.code, 'BAD_CREDENTIALS');
  t.deepEqual([unknown.code, unknown.message], [wrong.code, wrong.message]);
  t.deepEqual([invalid.code, invalid.message], [wrong.code, wrong.message]);
});

test('every request except Register, Login and Ping needs a login', async (t) => {
  const c = await srv.connect();
  await c.ping();
  const calls: [string, () => Promise<unknown>][] = [
    ['listAccounts', () => c.listAccounts('*')],
    ['send', () => c.send('alice', 'hi')],
    ['fetch', () => c.fetch(10)],
    ['ack', () => c.ack(1)],
    ['deleteAccount', () => c.deleteAccount(PASSWORD, true)],
    // As over gRPC: a Logout with no session to end says so.
    ['logout', () => c.logout()],
  ];
  for (const [name, call] of calls) {
    const err = await t.throwsAsync(call(), { instanceOf: ServerError }, name);
    t.is(code(err), 'NOT_LOGGED_IN', name);
  }
});

test('after logout requests need a login again, a second Logout included', async (t) => {
  const c = await srv.user('leaver');
  await c.logout();
  const err = await t.throwsAsync(c.fetch(1), { instanceOf: ServerError });
  t.is(code(err), 'NOT_LOGGED_IN');
  t.is(code(await t.throwsAsync(c.logout(), { instanceOf: ServerError })), 'NOT_LOGGED_IN');
});

test('a second login takes over: the first session gets LoggedInElsewhere and is logged out', async (t) => {
  const first = await srv.user('twice');
  const pushed = new Promise<void>((resolve) => first.once('loggedInElsewhere', resolve));
  const second = await srv.connect();
  await second.login('twice', PASSWORD);
  await pushed;
  const err = await t.throwsAsync(first.fetch(1), { instanceOf: ServerError });
  t.is(code(err), 'NOT_LOGGED_IN');
  t.true(first.isOpen, 'the connection stays open');
  // Messages now go to the new session.
  const sender = await srv.user('twice-friend');
  const got = new Promise((resolve) => second.once('message', resolve));
  await sender.send('twice', 'to the new session');
  t.like(await got, { sender: 'twice-friend', content: 'to the new session' });
});

test('pipelined login then requests on one connection run in order', async (t) => {
  const c = await srv.connect();
  await c.register('piper', PASSWORD);
  const [login, list] = await Promise.all([c.login('piper', PASSWORD), c.listAccounts('piper')]);
  t.is(login.undelivered, 0);
  t.deepEqual(list, { total: 1, names: ['piper'] });
});
