import test, { type ExecutionContext } from 'ava';
import type { ChatMessage } from '../../src/protocol/client.js';
import { MessageFlags } from '../../src/protocol/schema.js';
import { ChatSession, type SessionOptions } from '../../src/tui/session.js';
import { initialState, reduce, type Action, type State } from '../../src/tui/state/index.js';
import { realServer, type RealServer } from './realServer.js';
import { waitFor } from '../wait.js';
import { MemoryStore } from '../../src/server/store/memory.js';
import { UNAVAILABLE, type Store } from '../../src/server/store/store.js';

type Setup = Awaited<ReturnType<typeof setup>>;

async function setup(t: ExecutionContext, h?: RealServer, opts: SessionOptions = { autoFetch: false }) {
  const server = h ?? (await realServer(t));
  let state: State = initialState();
  const actions: Action[] = [];
  const session = new ChatSession(
    server.connect,
    (a) => {
      actions.push(a);
      state = reduce(state, a);
    },
    { servers: server.servers, ...opts },
  );
  t.teardown(() => session.stop());
  return {
    h: server,
    session,
    actions,
    get state() {
      return state;
    },
  };
}

/** A session logged in as `name` (the account is created first unless it exists). */
async function loggedIn(t: ExecutionContext, name = 'bob', h?: RealServer, opts?: SessionOptions): Promise<Setup> {
  const s = await setup(t, h, opts);
  if (!(await s.h.accounts()).includes(name)) await s.h.account(name);
  s.session.start();
  await waitFor(() => s.state.conn === 'connected', 'connected');
  await s.session.login(name, 'pw', false);
  if (s.state.screen !== 'main') throw new Error(`login failed: ${s.state.login.error}`);
  return s;
}

/** The Ack requests answered Ok, as the tap saw them. */
const ackedUpTo = (h: RealServer): number[] =>
  h.tap.answers.filter((a) => a.request.type === 'Ack' && a.answer.type === 'Ok').map((a) => (a.request as { upTo: number }).upTo);

test('a pushed message lands in the inbox and is acked', async (t) => {
  const s = await loggedIn(t);
  const id = await s.h.deliver('alice', 'bob', 'hi');
  await waitFor(() => s.state.convs.entries.at(-1)?.text === 'hi', 'shown');
  t.is(s.state.convs.entries.at(-1)!.id, id);
  await waitFor(() => ackedUpTo(s.h).some((upTo) => upTo >= id), 'ack');
  t.is(await s.h.waiting('bob'), 0);
});

test('a push is acked at once without dropping unfetched waiting messages; a fetch takes all pages and acks', async (t) => {
  const h = await realServer(t);
  await h.account('bob');
  for (let i = 0; i < 5; i++) await h.deliver('alice', 'bob', `old ${i}`);
  const s = await loggedIn(t, 'bob', h);
  t.is(s.state.waiting, 5);
  const live = await h.deliver('carol', 'bob', 'live');
  await waitFor(() => ackedUpTo(h).some((upTo) => upTo >= live), 'ack of the live message');
  t.is(await h.waiting('bob'), 5, 'the five older messages still wait');
  t.is(s.state.waiting, 5);
  await s.session.fetchWaiting(2);
  t.is(s.state.waiting, 0);
  // Shown in server-id order, whatever order they arrived in.
  t.deepEqual(
    s.state.convs.entries.map((e) => e.text),
    ['old 0', 'old 1', 'old 2', 'old 3', 'old 4', 'live'],
  );
  t.is(await h.waiting('bob'), 0);
  t.deepEqual(
    h.tap.requests.filter((r) => r.type === 'FetchUndelivered').map((r) => (r as { max: number }).max),
    [2, 2, 2],
    'three pages of two',
  );
});

test('send: accepted marks it queued; an unknown recipient fails inline', async (t) => {
  const s = await loggedIn(t);
  await s.h.account('alice');
  s.session.send('alice', 'hello');
  await waitFor(() => s.state.convs.entries.at(-1)?.delivery === 'queued');
  const alice = await s.h.user('alice');
  const { messages } = await alice.fetch();
  t.deepEqual(
    messages.map((m) => [m.id, m.sender, m.content]),
    [[s.state.convs.entries.at(-1)!.id, 'bob', 'hello']],
  );
  s.session.send('nobody', 'hello');
  await waitFor(() => s.state.compose.error !== null);
  t.is(s.state.compose.error, 'no user named nobody');
});

test('non-ASCII text is sent as UTF-7 with the flag; plain ASCII unflagged', async (t) => {
  const s = await loggedIn(t);
  await s.h.account('alice');
  s.session.send('alice', 'café');
  s.session.send('alice', 'plain');
  await waitFor(() => s.state.convs.entries.filter((e) => e.delivery === 'queued').length === 2, 'both accepted');
  t.deepEqual(
    s.h.tap.sends.map((m) => [m.flags, m.content]),
    [
      [MessageFlags.UTF7, 'caf+AOk-'],
      [0, 'plain'],
    ],
  );
  const { messages } = await (await s.h.user('alice')).fetch();
  t.deepEqual(
    messages.map((m) => [m.flags, m.content]),
    [
      [MessageFlags.UTF7, 'caf+AOk-'],
      [0, 'plain'],
    ],
  );
});

test('the 512-byte limit counts encoded bytes: over it, nothing is queued', async (t) => {
  const s = await loggedIn(t);
  s.session.send('alice', 'é'.repeat(200));
  t.regex(s.state.compose.error ?? '', /content|512/);
  t.is(s.state.convs.entries.length, 0);
  await s.h.settle();
  t.is(s.h.tap.sends.length, 0);
});

test('auto-fetch (the default) brings waiting messages in at login', async (t) => {
  const h = await realServer(t);
  await h.account('bob');
  const alice = await h.user('alice');
  await Promise.all(Array.from({ length: 250 }, (_, i) => alice.send('bob', `old ${i}`)));
  const s = await loggedIn(t, 'bob', h, {});
  await waitFor(() => s.state.waiting === 0 && s.state.convs.entries.length === 250, 'auto-fetched');
  await waitFor(async () => (await h.waiting('bob')) === 0, 'all acknowledged');
  t.pass();
});

test('auto-fetch runs after a reconnect too', async (t) => {
  const s = await loggedIn(t, 'bob', undefined, {});
  await s.h.tap.refuse();
  await waitFor(() => s.state.conn === 'disconnected', 'disconnected');
  await s.h.deliver('alice', 'bob', 'while away');
  await s.h.tap.accept();
  await waitFor(() => s.state.convs.entries.some((e) => e.text === 'while away'), 'fetched after reconnect');
  t.is(s.state.screen, 'main');
  t.is(s.h.tap.accepted, 2);
});

test('a lost link reconnects, logs in again and resends in-flight messages with the same client id', async (t) => {
  const s = await loggedIn(t);
  await s.h.account('alice');
  await s.h.tap.refuse();
  await waitFor(() => s.state.conn === 'disconnected', 'disconnected');
  s.session.send('alice', 'while offline');
  t.is(s.state.convs.entries.at(-1)!.delivery, 'pending');
  await s.h.tap.accept();
  await waitFor(() => s.state.convs.entries.at(-1)?.delivery === 'queued', 'resent');
  t.is(s.state.screen, 'main');
  t.is(s.h.tap.accepted, 2);
  t.is(s.h.tap.sends.length, 1);
  t.is(s.h.tap.sends[0]!.flags & MessageFlags.RESEND, 0, 'never sent before: not flagged as a resend');
  t.is(s.h.tap.requests.filter((r) => r.type === 'Login').length, 2, 'logged in again by itself');
  t.is(await s.h.waiting('alice'), 1);
});

test('a message in flight when the link drops is sent again with the same client id, flagged RESEND, and stored once', async (t) => {
  const s = await loggedIn(t);
  await s.h.account('alice');
  s.h.tap.hold(true);
  s.session.send('alice', 'in flight');
  await waitFor(() => s.h.tap.answers.some((a) => a.answer.type === 'Accepted'), 'stored, the answer held back');
  s.h.tap.dropAll();
  s.h.tap.hold(false);
  await waitFor(() => s.state.convs.entries.at(-1)?.delivery === 'queued', 'resent and accepted');
  const [first, again] = s.h.tap.sends;
  t.is(s.h.tap.sends.length, 2);
  t.is(again?.clientId, first?.clientId);
  t.is(first!.flags & MessageFlags.RESEND, 0);
  t.is(again!.flags & MessageFlags.RESEND, MessageFlags.RESEND);
  const accepted = s.h.tap.answers.filter((a) => a.answer.type === 'Accepted').map((a) => (a.answer as { messageId: number }).messageId);
  t.is(new Set(accepted).size, 1, 'the resend is answered with the first id');
  t.is(await s.h.waiting('alice'), 1);
});

test('logged in elsewhere: back to login, no automatic login after a drop', async (t) => {
  const s = await loggedIn(t);
  await s.h.user('bob');
  await waitFor(() => s.state.screen === 'login', 'logged out');
  t.regex(s.state.login.error ?? '', /elsewhere/);
  s.h.tap.dropAll();
  await waitFor(() => s.h.tap.accepted === 2 && s.state.conn === 'connected', 'reconnected');
  t.is(s.state.screen, 'login');
  // A request after the reconnect, so a Login sent by the reconnect would have passed the tap before it.
  await s.session.login('bob', 'wrong', false);
  t.is(s.h.tap.requests.filter((r) => r.type === 'Login' && r.password === 'pw').length, 1);
});

test('a refused connection retries with backoff', async (t) => {
  const s = await setup(t);
  await s.h.tap.refuse();
  s.session.start();
  await waitFor(() => s.state.conn === 'disconnected');
  t.regex(s.state.error ?? '', /cannot reach/);
  await s.h.tap.accept();
  await waitFor(() => s.state.conn === 'connected', 'connected after retry');
  t.is(s.h.tap.accepted, 1);
});

test('delete account: waiting messages are reported, then confirmed', async (t) => {
  const h = await realServer(t);
  await h.account('bob');
  await h.deliver('alice', 'bob', 'unread');
  const s = await loggedIn(t, 'bob', h);
  await s.session.deleteAccount('wrong', false);
  t.is(s.state.dialogs.del.error, 'wrong password');
  await s.session.deleteAccount('pw', false);
  t.is(s.state.dialogs.del.step, 'confirm');
  t.is(s.state.dialogs.del.waiting, 1);
  t.true((await h.accounts()).includes('bob'));
  await s.session.deleteAccount('pw', true);
  t.false((await h.accounts()).includes('bob'));
  t.is(s.state.screen, 'login');
});

test('listAccounts loads a page into the users pane', async (t) => {
  const s = await loggedIn(t);
  await s.h.account('al', 'bo', 'cy');
  await s.session.listAccounts('*', 1, 2);
  t.is(s.state.users.total, 4);
  t.deepEqual(s.state.users.names, ['bo', 'bob']);
});

test('a delivery receipt marks the sent message delivered', async (t) => {
  const s = await loggedIn(t);
  const alice = await loggedIn(t, 'alice', s.h);
  s.session.send('alice', 'hello');
  await waitFor(() => s.state.convs.entries.at(-1)?.delivery === 'delivered', 'receipt after alice acked');
  t.true(alice.state.convs.entries.some((e) => e.text === 'hello'));
});

test('a receipt that comes before the Accepted of its message is not lost', async (t) => {
  const s = await loggedIn(t);
  const alice = await s.h.user('alice');
  const pushed: ChatMessage[] = [];
  alice.on('message', (m) => pushed.push(m));
  const bobOnline: boolean[] = [];
  alice.on('presence', (name, online) => name === 'bob' && bobOnline.push(online));
  await alice.watch(['bob']);
  // The Send is stored, its Accepted held back; then the link dies and alice acknowledges while bob is
  // away: the receipt waits for bob's next login, which comes before the answer to his resend.
  s.h.tap.hold(true);
  s.session.send('alice', 'hello');
  await waitFor(() => s.h.tap.answers.some((a) => a.answer.type === 'Accepted') && pushed.length === 1, 'stored and pushed');
  await s.h.tap.refuse();
  s.h.tap.hold(false);
  await waitFor(() => bobOnline.at(-1) === false, 'bob offline');
  const id = pushed[0]!.id;
  await alice.ack(id);
  await s.h.tap.accept();
  await waitFor(() => s.state.convs.entries.at(-1)?.delivery !== 'pending', 'accepted');
  t.is(s.state.convs.entries.at(-1)!.id, id);
  t.is(s.state.convs.entries.at(-1)!.delivery, 'delivered');
  const order = s.h.tap.fromServer.map((m) => (m.type === 'Delivered' && m.ids.includes(id) ? 'receipt' : m.type === 'Accepted' ? 'accepted' : '')).filter(Boolean);
  t.deepEqual(order, ['accepted', 'receipt', 'accepted'], 'the first answer was lost with the link; the receipt came before the second');
});

test('presence: the watched names are sent, answered, kept up to date and watched again after a reconnect', async (t) => {
  const s = await loggedIn(t);
  await s.h.account('carol');
  const alice = await s.h.user('alice');
  const watches = () => s.h.tap.requests.filter((r) => r.type === 'Watch').map((r) => (r as { names: string[] }).names);
  s.session.watch(['carol', 'alice', 'alice']);
  await waitFor(() => s.state.users.online !== null, 'presence answer');
  t.deepEqual([...s.state.users.online!], ['alice']);
  t.deepEqual(watches(), [['alice', 'carol']]);
  s.session.watch(['alice', 'carol']);
  await s.h.settle();
  t.is(watches().length, 1, 'the same set is not sent again');

  const carol = await s.h.user('carol');
  await waitFor(() => s.state.users.online!.has('carol'), 'carol online');
  await alice.close();
  await waitFor(() => !s.state.users.online!.has('alice'), 'alice offline');

  s.h.tap.dropAll();
  await waitFor(() => watches().length === 2, 'watched again');
  t.deepEqual(watches()[1], ['alice', 'carol']);
  await waitFor(() => s.state.conn === 'connected' && s.state.users.online?.has('carol') === true, 'carol online after the reconnect');
  await carol.close();
  await waitFor(() => !s.state.users.online!.has('carol'), 'carol offline');
  t.pass();
});

test('a presence change that comes while a Watch is unanswered is applied after the answer', async (t) => {
  const s = await loggedIn(t);
  await s.h.account('carol');
  // The Watch answer (carol offline) is held back; carol logs in meanwhile, and the answer and the
  // push then arrive together: the push is the newer news.
  s.h.tap.hold(true);
  s.session.watch(['carol']);
  await waitFor(() => s.h.tap.answers.some((a) => a.answer.type === 'Presence'), 'answered');
  await s.h.user('carol');
  await waitFor(() => s.h.tap.pushes.some((p) => p.type === 'PresenceChanged' && p.name === 'carol'), 'pushed');
  s.h.tap.hold(false);
  await waitFor(() => s.state.users.online !== null, 'presence answer');
  t.deepEqual([...s.state.users.online!], ['carol']);
});

test('a Send refused as retryable (the server lost its database) stays pending and goes again, flagged RESEND, until it is stored once', async (t) => {
  const inner = new MemoryStore();
  let down = false;
  const flaky: Store = {
    open: () => inner.open(),
    run: (batch) => (down ? Promise.reject(new Error(`${UNAVAILABLE}: connection refused`)) : inner.run(batch)),
    close: () => inner.close(),
    stats: inner.stats,
  };
  const h = await realServer(t, { store: flaky });
  await h.account('alice');
  const s = await loggedIn(t, 'bob', h);
  down = true;
  s.session.send('alice', 'while the database is away');
  await waitFor(() => h.tap.answers.some((a) => a.request.type === 'Send' && a.answer.type === 'Error'), 'refused');
  t.is(s.state.convs.entries.at(-1)?.delivery, 'pending', 'still pending, not failed');
  down = false;
  await waitFor(() => s.state.convs.entries.at(-1)?.delivery === 'queued', 'accepted on a retry');
  const sends = h.tap.sends;
  t.true(sends.length >= 2);
  t.is(sends.at(-1)!.flags & MessageFlags.RESEND, MessageFlags.RESEND);
  t.true(new Set(sends.map((m) => m.clientId)).size === 1, 'one client id throughout');
  const alice = await h.user('alice');
  t.deepEqual(
    (await alice.fetch()).messages.map((m) => m.content),
    ['while the database is away'],
  );
});
