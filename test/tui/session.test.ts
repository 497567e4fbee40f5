import test from 'ava';
import { ChatSession, type SessionOptions } from '../../src/tui/session.js';
import { initialState, reduce, type Action, type State } from '../../src/tui/state/index.js';
import { MessageFlags } from '../../src/protocol/schema.js';
import { FakeServer, until, type FakeClient } from './fakeClient.js';

function setup(server = new FakeServer(), opts: SessionOptions = { autoFetch: false }) {
  let state: State = initialState();
  const actions: Action[] = [];
  const session = new ChatSession(server.connect, (a) => {
    actions.push(a);
    state = reduce(state, a);
  }, opts);
  return { server, session, actions, get state() { return state; } };
}

async function loggedIn(name = 'bob', server = new FakeServer(), opts?: SessionOptions) {
  server.accounts.set(name, 'pw');
  const s = setup(server, opts);
  s.session.start();
  await until(() => s.state.conn === 'connected', 'connected');
  await s.session.login(name, 'pw', false);
  return s;
}

test('register then log in reaches the main screen', async (t) => {
  const s = setup();
  s.session.start();
  await until(() => s.state.conn === 'connected');
  await s.session.login('amy', 'pw', true);
  t.is(s.state.screen, 'main');
  t.true(s.server.accounts.has('amy'));
  await s.session.stop();
});

test('a failed login shows the server sentence', async (t) => {
  const s = setup();
  s.session.start();
  await until(() => s.state.conn === 'connected');
  await s.session.login('ghost', 'pw', false);
  t.is(s.state.login.error, 'wrong username or password');
  await s.session.stop();
});

test('a pushed message lands in the inbox and is acked', async (t) => {
  const s = await loggedIn();
  const client = s.server.clients[0]!;
  const m = s.server.deliver('alice', 'bob', 'hi');
  t.is(s.state.convs.entries.at(-1)!.text, 'hi');
  await until(() => client.acks.includes(m.id), 'ack');
  await s.session.stop();
});

test('a push is acked at once without dropping unfetched waiting messages; a fetch takes all pages and acks', async (t) => {
  const server = new FakeServer();
  server.accounts.set('bob', 'pw');
  for (let i = 0; i < 5; i++) server.deliver('alice', 'bob', `old ${i}`);
  const s = await loggedIn('bob', server);
  t.is(s.state.waiting, 5);
  const client = server.clients[0]!;
  const live = server.deliver('carol', 'bob', 'live');
  await until(() => client.acks.includes(live.id), 'ack of the live message');
  t.is(server.queues.get('bob')!.length, 5, 'the five older messages still wait');
  t.is(s.state.waiting, 5);
  await s.session.fetchWaiting(2);
  t.is(s.state.waiting, 0);
  // Shown in server-id order, whatever order they arrived in.
  t.deepEqual(
    s.state.convs.entries.map((e) => e.text),
    ['old 0', 'old 1', 'old 2', 'old 3', 'old 4', 'live'],
  );
  t.is(server.queues.get('bob')!.length, 0);
  await s.session.stop();
});

test('send: accepted marks it queued; an unknown recipient fails inline', async (t) => {
  const s = await loggedIn();
  s.server.accounts.set('alice', 'x');
  s.session.send('alice', 'hello');
  await until(() => s.state.convs.entries.at(-1)?.delivery === 'queued');
  t.is(s.state.convs.entries.at(-1)!.id, s.server.sends.length);
  s.session.send('nobody', 'hello');
  await until(() => s.state.compose.error !== null);
  t.is(s.state.compose.error, 'no user named nobody');
  await s.session.stop();
});

test('non-ASCII text is sent as UTF-7 with the flag; plain ASCII unflagged', async (t) => {
  const s = await loggedIn();
  s.server.accounts.set('alice', 'x');
  s.session.send('alice', 'café');
  s.session.send('alice', 'plain');
  await until(() => s.server.sends.length === 2);
  t.deepEqual(
    s.server.sends.map((m) => [m.flags, m.content]),
    [
      [MessageFlags.UTF7, 'caf+AOk-'],
      [0, 'plain'],
    ],
  );
  await s.session.stop();
});

test('the 512-byte limit counts encoded bytes: over it, nothing is queued', async (t) => {
  const s = await loggedIn();
  s.session.send('alice', 'é'.repeat(200));
  t.regex(s.state.compose.error ?? '', /content|512/);
  t.is(s.state.convs.entries.length, 0);
  t.is(s.server.sends.length, 0);
  await s.session.stop();
});

test('received UTF-7 is decoded for display', async (t) => {
  const s = await loggedIn();
  s.server.deliver('alice', 'bob', '+ZeVnLIqe-', { flags: MessageFlags.UTF7 });
  t.is(s.state.convs.entries.at(-1)!.text, '日本語');
  await s.session.stop();
});

test('a push the server repeats (same sender and clientId) is shown once and acked', async (t) => {
  const server = new FakeServer();
  server.repeatPushes = true;
  const s = await loggedIn('bob', server);
  server.deliver('alice', 'bob', 'once', { clientId: 5 });
  t.deepEqual(s.state.convs.entries.map((e) => e.text), ['once']);
  await s.session.stop();
});

test('auto-fetch (the default) brings waiting messages in at login', async (t) => {
  const server = new FakeServer();
  server.accounts.set('bob', 'pw');
  for (let i = 0; i < 250; i++) server.deliver('alice', 'bob', `old ${i}`);
  const s = await loggedIn('bob', server, {});
  await until(() => s.state.waiting === 0 && s.state.convs.entries.length === 250, 'auto-fetched');
  t.is(server.queues.get('bob')!.length, 0);
  await s.session.stop();
});

test('auto-fetch runs after a reconnect too', async (t) => {
  const server = new FakeServer();
  const s = await loggedIn('bob', server, {});
  (server.clients[0] as FakeClient).drop();
  server.deliver('alice', 'bob', 'while away');
  await until(() => s.state.convs.entries.some((e) => e.text === 'while away'), 'fetched after reconnect');
  t.is(s.state.screen, 'main');
  await s.session.stop();
});

test('a lost link reconnects, logs in again and resends in-flight messages with the same client id', async (t) => {
  const s = await loggedIn();
  s.server.accounts.set('alice', 'x');
  const first = s.server.clients[0]! as FakeClient;
  first.drop(new Error('reset'));
  t.is(s.state.conn, 'disconnected');
  s.session.send('alice', 'while offline');
  t.is(s.state.convs.entries.at(-1)!.delivery, 'pending');
  await until(() => s.state.convs.entries.at(-1)?.delivery === 'queued', 'resent');
  t.is(s.state.screen, 'main');
  t.is(s.server.clients.length, 2);
  t.is(s.server.sends.length, 1);
  t.is(s.server.sends[0]!.flags & MessageFlags.RESEND, 0, 'never sent before: not flagged as a resend');
  await s.session.stop();
});

test('a message in flight when the link drops is sent again with the same client id, flagged RESEND', async (t) => {
  const s = await loggedIn();
  s.server.accounts.set('alice', 'x');
  s.server.stallSends = true;
  s.session.send('alice', 'in flight');
  await until(() => s.server.sends.length === 1, 'sent once');
  s.server.stallSends = false;
  (s.server.clients[0] as FakeClient).drop(new Error('reset'));
  await until(() => s.state.convs.entries.at(-1)?.delivery === 'queued', 'resent and accepted');
  const [first, again] = s.server.sends;
  t.is(again?.clientId, first?.clientId);
  t.is(first!.flags & MessageFlags.RESEND, 0);
  t.is(again!.flags & MessageFlags.RESEND, MessageFlags.RESEND);
  await s.session.stop();
});

test('logged in elsewhere: back to login, no automatic login after a drop', async (t) => {
  const s = await loggedIn();
  const other = await s.server.connect();
  await other.login('bob', 'pw');
  t.is(s.state.screen, 'login');
  t.regex(s.state.login.error ?? '', /elsewhere/);
  (s.server.clients[0] as FakeClient).drop();
  await until(() => s.server.clients.length === 3 && s.state.conn === 'connected', 'reconnected');
  t.is(s.state.screen, 'login');
  await s.session.stop();
});

test('a refused connection retries with backoff', async (t) => {
  const server = new FakeServer();
  server.refuse = true;
  const s = setup(server);
  s.session.start();
  await until(() => s.state.conn === 'disconnected');
  t.regex(s.state.error ?? '', /cannot reach/);
  server.refuse = false;
  await until(() => s.state.conn === 'connected', 'connected after retry');
  t.pass();
  await s.session.stop();
});

test('delete account: waiting messages are reported, then confirmed', async (t) => {
  const server = new FakeServer();
  server.accounts.set('bob', 'pw');
  server.deliver('alice', 'bob', 'unread');
  const s = await loggedIn('bob', server);
  await s.session.deleteAccount('wrong', false);
  t.is(s.state.dialogs.del.error, 'wrong password');
  await s.session.deleteAccount('pw', false);
  t.is(s.state.dialogs.del.step, 'confirm');
  t.is(s.state.dialogs.del.waiting, 1);
  t.true(server.accounts.has('bob'));
  await s.session.deleteAccount('pw', true);
  t.false(server.accounts.has('bob'));
  t.is(s.state.screen, 'login');
  await s.session.stop();
});

test('listAccounts loads a page into the users pane', async (t) => {
  const s = await loggedIn();
  for (const n of ['al', 'bo', 'cy']) s.server.accounts.set(n, 'x');
  await s.session.listAccounts('*', 1, 2);
  t.is(s.state.users.total, 4);
  t.deepEqual(s.state.users.names, ['bo', 'bob']);
  await s.session.stop();
});

test('a delivery receipt marks the sent message delivered', async (t) => {
  const s = await loggedIn();
  const alice = await loggedIn('alice', s.server);
  s.session.send('alice', 'hello');
  await until(() => s.state.convs.entries.at(-1)?.delivery === 'delivered', 'receipt after alice acked');
  t.true(alice.state.convs.entries.some((e) => e.text === 'hello'));
  await alice.session.stop();
  await s.session.stop();
});

test('a receipt that comes before the Accepted of its message is not lost', async (t) => {
  const s = await loggedIn();
  s.server.accounts.set('alice', 'x');
  const client = s.server.clients[0] as FakeClient;
  // The server answers a resend with the id of a message already delivered, after its receipt.
  client.emit('delivered', [s.server.nextId]);
  s.session.send('alice', 'hello');
  await until(() => s.state.convs.entries.at(-1)?.delivery !== 'pending', 'accepted');
  t.is(s.state.convs.entries.at(-1)!.delivery, 'delivered');
  await s.session.stop();
});

test('presence: the watched names are sent, answered, kept up to date and watched again after a reconnect', async (t) => {
  const server = new FakeServer();
  server.accounts.set('alice', 'x');
  server.accounts.set('carol', 'x');
  const s = await loggedIn('bob', server);
  const alice = await loggedIn('alice', server);
  s.session.watch(['carol', 'alice', 'alice']);
  await until(() => s.state.users.online !== null, 'presence answer');
  t.deepEqual([...s.state.users.online!], ['alice']);
  t.deepEqual((server.clients[0] as FakeClient).watches, [['alice', 'carol']]);
  s.session.watch(['alice', 'carol']);
  t.is((server.clients[0] as FakeClient).watches.length, 1, 'the same set is not sent again');

  const carol = await loggedIn('carol', server);
  t.true(s.state.users.online!.has('carol'));
  await alice.session.stop();
  t.false(s.state.users.online!.has('alice'));

  (server.clients[0] as FakeClient).drop(new Error('reset'));
  await until(() => server.clients.length > 3 && (server.clients.at(-1) as FakeClient).watches.length > 0, 'watched again');
  t.deepEqual((server.clients.at(-1) as FakeClient).watches, [['alice', 'carol']]);
  await carol.session.stop();
  await until(() => !s.state.users.online!.has('carol'), 'carol offline');
  await s.session.stop();
});

test('a presence change that comes while a Watch is unanswered is applied after the answer', async (t) => {
  const server = new FakeServer();
  server.accounts.set('carol', 'x');
  const s = await loggedIn('bob', server);
  const client = server.clients[0] as FakeClient;
  const watch = client.watch.bind(client);
  client.watch = async (names) => {
    const online = await watch(names);
    client.emit('presence', 'carol', true); // came online after the server answered
    return online;
  };
  s.session.watch(['carol']);
  await until(() => s.state.users.online !== null, 'presence answer');
  t.deepEqual([...s.state.users.online!], ['carol']);
  await s.session.stop();
});
