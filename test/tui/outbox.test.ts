/**
 * The durable outbox and the other things a session keeps for the user, against a real server
 * (memory store) through a tap: unsent messages across a restart of the client, receipts pushed
 * before the LoginOk answer, a draft kept through a takeover, /clear and /export, Tab asking the
 * server, a local server still starting, a server that hangs up before answering.
 */
import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ChatMessage } from '../../src/protocol/client.js';
import { encode } from '../../src/protocol/codec.js';
import { MessageFlags } from '../../src/protocol/schema.js';
import { History } from '../../src/tui/history.js';
import { ChatSession, type Connect, type SessionOptions } from '../../src/tui/session.js';
import { initialState, pendingCount, reduce, viewEntries, type Action, type State } from '../../src/tui/state/index.js';
import { realServer, type RealServer } from './realServer.js';
import { waitFor } from '../wait.js';

function tempDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-outbox-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A client session (as one termchat process has) keeping its history in `dir`; `draft` is the line on screen. */
function client(t: ExecutionContext, h: RealServer, dir: string | null, opts: SessionOptions = {}, draft = () => '') {
  const view = { state: initialState() as State, actions: [] as Action[] };
  const session = new ChatSession(
    h.connect,
    (a) => {
      view.actions.push(a);
      view.state = reduce(view.state, a);
    },
    { servers: h.servers, historyDir: dir, server: 's:1', autoFetch: false, ...opts },
    { draft },
  );
  t.teardown(() => session.stop());
  return { session, view };
}

async function logIn(c: ReturnType<typeof client>, name = 'bob'): Promise<void> {
  c.session.start();
  await waitFor(() => c.view.state.conn === 'connected', 'connected');
  await c.session.login(name, 'pw', false);
  if (c.view.state.screen !== 'main') throw new Error(`login failed: ${c.view.state.login.error}`);
}

test('defect 1: messages sent while the server does not answer survive quitting; the next start sends them once, same client ids, flagged RESEND', async (t) => {
  const dir = tempDir(t);
  const h = await realServer(t);
  await h.account('bob', 'alice');
  const first = client(t, h, dir);
  await logIn(first);
  // The server takes the Sends but its answers never come back (the link is dead, no one knows yet).
  h.tap.hold(true);
  for (const text of ['one', 'two', 'three']) first.session.send('alice', text);
  await waitFor(() => h.tap.sends.length === 3, 'sent');
  t.is(pendingCount(first.view.state.convs), 3);
  t.true(first.view.state.outboxKept);
  await first.session.stop(); // quit
  h.tap.hold(false);
  await h.tap.refuse();
  await h.tap.accept();

  const second = client(t, h, dir);
  await logIn(second);
  t.deepEqual(
    viewEntries(second.view.state.convs).map((e) => [e.text, e.delivery]),
    [
      ['one', 'pending'],
      ['two', 'pending'],
      ['three', 'pending'],
    ],
    'shown pending at once',
  );
  await waitFor(() => pendingCount(second.view.state.convs) === 0, 'accepted');
  const resends = h.tap.sends.slice(3);
  t.deepEqual(resends.map((s) => s.clientId), h.tap.sends.slice(0, 3).map((s) => s.clientId), 'the same client ids');
  t.true(resends.every((s) => (s.flags & MessageFlags.RESEND) !== 0), 'flagged RESEND');
  const alice = await h.user('alice');
  t.deepEqual((await alice.fetch()).messages.map((m) => m.content), ['one', 'two', 'three'], 'each stored once');
  const file = History.open(dir, 's:1', 'bob');
  t.deepEqual(file.outbox(), [], 'the outbox is empty');
  t.deepEqual(file.recent().map((m) => [m.text, m.own]), [['one', true], ['two', true], ['three', true]]);
  file.close();
});

test('a message never sent (the server was down) is sent at the next start and arrives once', async (t) => {
  const dir = tempDir(t);
  const h = await realServer(t);
  await h.account('bob', 'alice');
  const alice = await h.user('alice');
  const got: ChatMessage[] = [];
  alice.on('message', (m) => got.push(m));
  const first = client(t, h, dir);
  await logIn(first);
  await h.tap.refuse();
  await waitFor(() => first.view.state.conn !== 'connected', 'disconnected');
  first.session.send('alice', 'written offline');
  await first.session.stop();
  await h.tap.accept();
  const second = client(t, h, dir);
  await logIn(second);
  await waitFor(() => got.length === 1 && pendingCount(second.view.state.convs) === 0, 'delivered');
  await h.settle();
  t.deepEqual(got.map((m) => m.content), ['written offline']);
});

test('defect 4: a receipt pushed before the LoginOk answer shows ✓✓ on the message it is for', async (t) => {
  const dir = tempDir(t);
  const h = await realServer(t);
  await h.account('bob', 'alice');
  const first = client(t, h, dir);
  await logIn(first);
  first.session.send('alice', 'read me while I am away');
  await waitFor(() => first.view.state.convs.entries.at(-1)?.delivery === 'queued', 'stored');
  const id = first.view.state.convs.entries.at(-1)!.id;
  await first.session.stop();

  // The next login: the tap holds the server's bytes, puts a receipt in front of the LoginOk.
  const second = client(t, h, dir);
  second.session.start();
  await waitFor(() => second.view.state.conn === 'connected', 'connected');
  await h.settle();
  h.tap.hold(true);
  const login = second.session.login('bob', 'pw', false);
  await waitFor(() => h.tap.answers.some((a) => a.request.type === 'Login' && a.answer.type === 'LoginOk'), 'LoginOk held');
  h.tap.inject(encode({ type: 'Delivered', ids: [id] }, 0));
  h.tap.hold(false);
  await login;
  await waitFor(() => viewEntries(second.view.state.convs).some((e) => e.id === id && e.delivery === 'delivered'), '✓✓');
  await second.session.stop();
  const file = History.open(dir, 's:1', 'bob');
  t.is(file.recent().find((m) => m.id === id)?.delivery, 'delivered', 'kept in the history too');
  file.close();
});

test('defect 5: a takeover keeps the line being typed and the unsent messages, says so, and the next login gets them back', async (t) => {
  const dir = tempDir(t);
  const h = await realServer(t);
  await h.account('bob', 'alice');
  const first = client(t, h, dir, {}, () => 'half typed answer');
  await logIn(first);
  h.tap.hold(true);
  first.session.send('alice', 'unsent');
  await waitFor(() => h.tap.sends.length === 1, 'sent');
  await h.user('bob'); // logs in elsewhere
  h.tap.hold(false);
  await waitFor(() => first.view.state.screen === 'login', 'logged out');
  t.regex(first.view.state.login.error ?? '', /line you were typing is kept/);
  t.regex(first.view.state.login.error ?? '', /1 unsent message stays in the outbox/);
  const again = client(t, h, dir);
  await logIn(again);
  t.is(again.view.state.compose.line.text, 'half typed answer');
  await waitFor(() => pendingCount(again.view.state.convs) === 0, 'the unsent one accepted');
  const alice = await h.user('alice');
  t.deepEqual((await alice.fetch()).messages.map((m) => m.content), ['unsent']);
});

test('/clear holds after a restart; /export writes every message of the file', async (t) => {
  const dir = tempDir(t);
  const h = await realServer(t);
  await h.account('bob', 'alice');
  const first = client(t, h, dir);
  await logIn(first);
  for (const x of ['old 1', 'old 2']) await h.deliver('alice', 'bob', x);
  await waitFor(() => first.view.state.convs.entries.length === 2, 'shown');
  first.session.keepClear(null, Math.max(...first.view.state.convs.entries.map((e) => e.id)));
  await h.deliver('alice', 'bob', 'new', { flags: MessageFlags.ACTION });
  await waitFor(() => first.view.state.convs.entries.length === 3, 'shown');
  const log = path.join(dir, 'export.log');
  first.session.exportHistory(log, () => []);
  t.regex(first.view.state.notice ?? '', /exported 3 messages/);
  t.deepEqual(fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => l.slice(17)), ['[alice] <alice> old 1', '[alice] <alice> old 2', '[alice]  * alice new']);
  await first.session.stop();
  const second = client(t, h, dir);
  await logIn(second);
  t.deepEqual(viewEntries(second.view.state.convs).map((e) => e.text), ['new']);
});

test('defect 7: Tab asks the server for every account starting with the word', async (t) => {
  const h = await realServer(t);
  await h.account('bob', 'victor', 'vicky', 'violet', ...Array.from({ length: 60 }, (_, i) => `user${i}`));
  const c = client(t, h, null);
  await logIn(c);
  t.deepEqual(await c.session.namesStartingWith('vic'), { names: ['vicky', 'victor'], total: 2 });
  t.true(h.tap.requests.some((r) => r.type === 'ListAccounts' && r.pattern === 'vic*'));
});

test('Tab on a #word asks the server for the groups starting with it, also one this client has never seen', async (t) => {
  const h = await realServer(t);
  await h.account('bob');
  const owner = await h.user('carol');
  await owner.createGroup('#rustaceans');
  await owner.createGroup('#ruby');
  await owner.createGroup('#go');
  const c = client(t, h, null);
  await logIn(c);
  t.deepEqual(await c.session.namesStartingWith('#ru'), { names: ['#ruby', '#rustaceans'], total: 2 });
  t.true(h.tap.requests.some((r) => r.type === 'ListGroups' && r.pattern === 'ru*'));
});

test('defect 14: while a local server just started is not listening yet, the client says it is starting, not that it cannot reach it', async (t) => {
  const h = await realServer(t);
  await h.account('bob');
  let refusals = 2;
  const connect: Connect = (a) => (refusals-- > 0 ? Promise.reject(new Error('connect ECONNREFUSED')) : h.connect(a));
  const view = { state: initialState('127.0.0.1:7878', 'starting a local termchat-server on port 7878…') as State, actions: [] as Action[] };
  const session = new ChatSession(connect, (a) => {
    view.actions.push(a);
    view.state = reduce(view.state, a);
  }, { servers: h.servers, historyDir: null, startedServer: 'started a local termchat-server (pid 1)' });
  t.teardown(() => session.stop());
  session.start();
  await waitFor(() => view.state.conn === 'connected', 'connected');
  t.false(view.actions.some((a) => a.type === 'conn' && typeof a.error === 'string' && /ECONNREFUSED|cannot reach/.test(a.error)));
  t.false(view.actions.some((a) => a.type === 'conn' && a.status === 'disconnected'));
  t.is(view.state.notice, 'started a local termchat-server (pid 1)');
});

test('defect 12: a server that hangs up before answering is said to be no termchat server, or one that wants TLS', async (t) => {
  // Like a TLS server taking a plain frame: it accepts, reads, and hangs up.
  const rude = net.createServer((s) => s.once('data', () => s.destroy()));
  await new Promise<void>((r) => rude.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => rude.close(() => r())));
  const port = (rude.address() as net.AddressInfo).port;
  const h = await realServer(t);
  const c = client(t, { ...h, servers: [{ host: '127.0.0.1', port }] }, null);
  c.session.start();
  await waitFor(() => /try --tls/.test(c.view.state.error ?? ''), 'the hint');
  t.false(c.view.actions.some((a) => a.type === 'conn' && a.status === 'connected'), 'never said connected');
});
