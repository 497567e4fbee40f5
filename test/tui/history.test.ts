import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultHistoryDir, History, historyFile } from '../../src/tui/history.js';
import { DEFAULT_SCROLLBACK, HistoryKeeper } from '../../src/tui/historyKeeper.js';
import { ChatSession } from '../../src/tui/session.js';
import { initialState, reduce, type State, type StoredMessage } from '../../src/tui/state/index.js';
import { realServer, type RealServer } from './realServer.js';
import { waitFor } from '../wait.js';

function tempDir(t: { teardown: (f: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-history-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const m = (id: number, text: string, own = false): StoredMessage => ({
  id,
  sender: own ? 'bob' : 'alice',
  peer: 'alice',
  own,
  clientId: id,
  sentAt: id,
  text,
});

test('the default directory follows XDG_DATA_HOME, else ~/.local/share/termchat', (t) => {
  t.is(defaultHistoryDir({ XDG_DATA_HOME: '/x/data' }), path.join('/x/data', 'termchat'));
  t.is(defaultHistoryDir({}), path.join(os.homedir(), '.local', 'share', 'termchat'));
});

test('one file per server and account, owner-only, names that cannot leave the directory', (t) => {
  const dir = tempDir(t);
  const h = History.open(dir, '127.0.0.1:7878', 'bob');
  h.close();
  const file = historyFile(dir, '127.0.0.1:7878', 'bob');
  t.is(fs.statSync(file).mode & 0o777, 0o600);
  t.is(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  t.true(historyFile(dir, '../../etc', '..').startsWith(dir + path.sep));
  t.not(historyFile(dir, 'a:1', 'bob'), historyFile(dir, 'a:2', 'bob'));
});

test('messages come back oldest first, the newest N of them; a message kept twice is stored once', (t) => {
  const dir = tempDir(t);
  const h = History.open(dir, 's:1', 'bob');
  h.add([m(3, 'c'), m(1, 'a'), m(2, 'b', true)]);
  h.add([m(1, 'a')]);
  t.deepEqual(h.recent().map((x) => x.text), ['a', 'b', 'c']);
  t.deepEqual(h.recent(2).map((x) => x.text), ['b', 'c']);
  t.true(h.recent()[1]!.own);
  h.close();
});

test('search matches text in any case, with % and _ taken literally', (t) => {
  const dir = tempDir(t);
  const h = History.open(dir, 's:1', 'bob');
  h.add([m(1, 'Lunch at noon'), m(2, '100% sure'), m(3, 'snake_case'), m(4, 'nothing')]);
  t.deepEqual(h.search('lunch').map((x) => x.id), [1]);
  t.deepEqual(h.search('%').map((x) => x.id), [2]);
  t.deepEqual(h.search('_').map((x) => x.id), [3]);
  h.close();
});

/** bob's session on `h`, logged in, keeping history in `dir` under the server name `s:1`; `view.state` is its screen. */
async function bobWithHistory(t: ExecutionContext, h: RealServer, dir: string) {
  const view = { state: initialState() as State };
  const session = new ChatSession(h.connect, (a) => (view.state = reduce(view.state, a)), { servers: h.servers, historyDir: dir, server: 's:1' });
  t.teardown(() => session.stop());
  session.start();
  await waitFor(() => view.state.conn === 'connected');
  await session.login('bob', 'pw', false);
  return { session, view };
}

test('deleting the account deletes its history file (a new account of that name must not read it)', async (t) => {
  const dir = tempDir(t);
  const h = await realServer(t);
  await h.account('bob');
  const { session, view } = await bobWithHistory(t, h, dir);
  await h.deliver('alice', 'bob', 'kept');
  await waitFor(() => view.state.convs.entries.some((e) => e.text === 'kept'), 'shown');
  const file = historyFile(dir, 's:1', 'bob');
  t.true(fs.existsSync(file));
  const h1 = History.open(dir, 's:1', 'bob');
  t.deepEqual(h1.recent().map((x) => x.text), ['kept']);
  h1.close();
  await session.deleteAccount('pw', true);
  t.is(view.state.screen, 'login');
  t.false(fs.existsSync(file));
});

test('the same id at another time is another message (a server that lost its data counts ids again)', (t) => {
  const dir = tempDir(t);
  const h = History.open(dir, 's:1', 'bob');
  h.add([m(1, 'old')]);
  h.add([{ ...m(1, 'new'), sentAt: 99 }]);
  t.deepEqual(h.recent().map((x) => x.text), ['old', 'new']);
  h.close();
});

test('a delivery receipt is kept in the history file', async (t) => {
  const dir = tempDir(t);
  const h = await realServer(t);
  await h.account('bob');
  const alice = await h.user('alice');
  const { session, view } = await bobWithHistory(t, h, dir);
  session.send('alice', 'hello');
  await waitFor(() => view.state.convs.entries.at(-1)?.delivery === 'queued', 'accepted');
  const id = view.state.convs.entries.at(-1)!.id;
  // alice reads it: her Ack sends bob the receipt.
  const { messages } = await alice.fetch();
  t.deepEqual(messages.map((m) => m.id), [id]);
  await alice.ack(id);
  await waitFor(() => view.state.convs.entries.at(-1)?.delivery === 'delivered', 'receipt');
  await session.stop();
  const hist = History.open(dir, 's:1', 'bob');
  t.is(hist.recent().find((x) => x.id === id)?.delivery, 'delivered');
  hist.close();
});

test('at login only the newest messages up to the scrollback come back; /search still finds the older ones', (t) => {
  const dir = tempDir(t);
  const actions: string[] = [];
  const first = new HistoryKeeper(dir, 'srv:1', (a) => actions.push(a.type), 3);
  first.open('bob');
  first.keep([1, 2, 3, 4, 5].map((id) => m(id, `message ${id}`)));
  first.close();
  const again = new HistoryKeeper(dir, 'srv:1', (a) => actions.push(a.type), 3);
  t.deepEqual(
    again.open('bob').map((x) => x.id),
    [3, 4, 5],
  );
  t.deepEqual(
    again.search('message 1')?.map((e) => e.id),
    [1],
  );
  again.close();
  t.is(DEFAULT_SCROLLBACK, 2000);
});
