import test, { type ExecutionContext } from 'ava';
import { render } from 'ink-testing-library';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, type AppProps } from '../../src/tui/App.js';
import { StatusBar } from '../../src/tui/components/StatusBar.js';
import { initialState } from '../../src/tui/state/index.js';
import { encode } from '../../src/protocol/codec.js';
import { MessageFlags } from '../../src/protocol/schema.js';
import { historyFile } from '../../src/tui/history.js';
import { serversName } from '../../src/tui/servers.js';
import { fromWire } from '../../src/tui/text/unicode.js';
import { realServer, type RealServer } from './realServer.js';
import { waitFor as until } from '../wait.js';
import stringWidth from 'string-width';

type Ui = ReturnType<typeof render>;

/** Waits until the last frame contains `text` (polling, generous timeout). */
async function see(ui: Ui, text: string | RegExp): Promise<string> {
  let frame = '';
  try {
    await until(() => {
      frame = ui.lastFrame() ?? '';
      return typeof text === 'string' ? frame.includes(text) : text.test(frame);
    }, String(text));
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- frame ---\n${frame}`);
  }
  return frame;
}

/** Gives the test terminal a size (ink-testing-library's is 100 columns, no rows) and tells ink. */
function resize(ui: Ui, columns: number, rows: number): void {
  Object.defineProperty(ui.stdout, 'columns', { value: columns, configurable: true });
  Object.defineProperty(ui.stdout, 'rows', { value: rows, configurable: true });
  ui.stdout.emit('resize');
}

/** Renders the App; it is unmounted when the test ends even if it failed (a mounted App keeps the process alive). */
function start(t: ExecutionContext, h: RealServer, extra: Partial<AppProps> = {}, size?: [number, number]) {
  let quit = false;
  const ui = render(<App connect={h.connect} servers={h.servers} onQuit={() => (quit = true)} usersRefreshMs={60_000} {...extra} />);
  t.teardown(() => ui.unmount());
  if (size) resize(ui, size[0], size[1]);
  return { ui, quitted: () => quit };
}

async function logIn(ui: Ui, name: string, password: string): Promise<void> {
  await see(ui, 'connected)');
  ui.stdin.write(name);
  await see(ui, `Username: ${name}`);
  ui.stdin.write('\t');
  await see(ui, '› Password:');
  ui.stdin.write(password);
  await see(ui, `Password: ${'*'.repeat(password.length)}`);
  ui.stdin.write('\r');
}

/** Every line of a frame fits the width and box borders are whole (each ╭ has its ╰ below). */
function assertIntact(t: { true: (v: boolean, m?: string) => void }, frame: string, columns: number): void {
  const lines = frame.split('\n');
  for (const l of lines) t.true([...l].length <= columns, `line wider than ${columns}: ${l}`);
  const opens = lines.join('').split('╭').length - 1;
  const closes = lines.join('').split('╰').length - 1;
  t.true(opens === closes, `${opens} boxes opened, ${closes} closed:\n${frame}`);
}

test('a wrong password shows the server error on the login screen', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  const { ui } = start(t, server);
  await logIn(ui, 'bob', 'wrong');
  const frame = await see(ui, 'wrong username or password');
  t.true(frame.includes('termchat — log in'));
  ui.unmount();
});

test('defect 13: the login screen offers only keys that work there; after a takeover the title and status forget the session', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  const titles: string[] = [];
  const { ui } = start(t, server, { setTitle: (x) => titles.push(x) });
  const login = await see(ui, 'connected)');
  t.false(login.includes('q quit'));
  t.false(login.includes('? help'));
  t.true(login.includes('Ctrl-C quit'));
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  ui.stdin.write('/query carol\r');
  await see(ui, 'carol (0)');
  await server.deliver('alice', 'bob', 'unread one');
  await until(() => titles.at(-1) === 'termchat: bob (1 unread)', 'unread in the title');
  await server.user('bob');
  const frame = await see(ui, 'Logged in elsewhere');
  // The title is set in an effect, which may run just after the frame is written.
  await until(() => titles.at(-1) === 'termchat', 'the plain title back');
  t.is(titles.at(-1), 'termchat');
  t.false(frame.includes('│ bob'));
  t.false(frame.includes('reconnected'));
});

test('Ctrl-R registers a new account and logs in', async (t) => {
  const server = await realServer(t);
  const { ui } = start(t, server);
  await see(ui, 'connected)');
  ui.stdin.write('\x12');
  await see(ui, 'create an account');
  await logIn(ui, 'newbie', 'pw');
  await see(ui, /Inbox \(0\)/);
  t.true((await server.accounts()).includes('newbie'));
  ui.unmount();
});

test('a pushed message appears at once with its sender, and a conversation window for them', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  await server.account('alice');
  const { ui } = start(t, server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  const id = await server.deliver('alice', 'bob', 'hello bob');
  await until(() => server.tap.pushes.some((p) => p.type === 'Message' && p.id === id), 'pushed');
  // The server stamps the time: the line shows its hour and minute, the day above it.
  const push = server.tap.pushes.find((p) => p.type === 'Message' && p.id === id) as { sentAt: number };
  const at = new Date(push.sentAt);
  const two = (n: number) => String(n).padStart(2, '0');
  const frame = await see(ui, `${two(at.getHours())}:${two(at.getMinutes())} alice: hello bob`);
  t.true(frame.includes('Inbox (1)'));
  t.true(frame.includes('2 alice'));
  const day = `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][at.getDay()]} ${at.getDate()} ${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][at.getMonth()]} ${at.getFullYear()}`;
  t.true(frame.includes(day), `${day} above the message`);
  ui.unmount();
});

test('a UTF-7 message is shown decoded; what we type in Unicode is sent as flagged UTF-7', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  await server.account('alice');
  const { ui } = start(t, server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  await server.deliver('alice', 'bob', 'caf+AOk +APw-ber', { flags: MessageFlags.UTF7 });
  await see(ui, 'alice: café über');
  ui.stdin.write('/msg alice 日本 🎉');
  await see(ui, /\d+\/512/);
  ui.stdin.write('\r');
  await see(ui, 'you → alice: 日本 🎉');
  t.deepEqual(server.tap.sends.map((s) => [s.flags, fromWire(s.content, s.flags)]), [[MessageFlags.UTF7, '日本 🎉']]);
  t.regex(server.tap.sends[0]!.content, /^[\x20-\x7e]+$/);
  ui.unmount();
});

test('defect 7: a 700-character paste is kept, the counter says how far over it is, and Enter offers to split it', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  await server.account('alice');
  const { ui } = start(t, server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  ui.stdin.write('/query alice\r');
  await see(ui, 'alice (0)');
  const words = Array.from({ length: 100 }, (_, i) => `word${String(i).padStart(2, '0')}`).join(' ');
  ui.stdin.write(words);
  await see(ui, '699/512: 187 bytes over');
  ui.stdin.write('\r');
  await see(ui, 'Send it to alice as 2 messages');
  await server.settle();
  t.deepEqual(server.tap.sends, [], 'nothing sent before the answer');
  ui.stdin.write('y');
  await see(ui, 'alice (2)');
  await until(() => server.tap.sends.length === 2, 'both parts sent');
  t.is(server.tap.sends.map((m) => m.content).join(' '), words);
});

test('a pushed message repeated by the server shows once; messages without a client id are never taken for repeats', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  const { ui } = start(t, server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  // The same client id twice without the RESEND flag: the server pushes it again under a new id.
  await server.deliver('alice', 'bob', 'only once', { clientId: 77 });
  await server.deliver('alice', 'bob', 'only once', { clientId: 77 });
  await server.deliver('alice', 'bob', 'no id, twice', { clientId: 0 });
  await server.deliver('alice', 'bob', 'no id, twice', { clientId: 0 });
  const frame = await see(ui, 'Inbox (3)');
  t.is(server.tap.pushes.filter((p) => p.type === 'Message').length, 4);
  t.is(frame.split('only once').length - 1, 1);
  t.is(frame.split('no id, twice').length - 1, 2);
  ui.unmount();
});

test('nothing the server sends reaches the terminal as a control sequence (an OSC title, a bell)', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  const { ui } = start(t, server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  // A hostile server (here the tap, writing frames of its own): a sender name may carry control
  // bytes on the wire (the field is ASCII); content may not (the decoder drops such a message).
  const push = (id: number, sender: string, content: string) =>
    encode({ type: 'Message', id, sender, clientId: 0, flags: 0, sentAt: Date.now(), content }, 0);
  const evil = push(9001, 'hi\x1b]0;pwned\x07x\r', 'there');
  const bad = push(9002, 'mallory', 'hi XX]0;pwned YY there');
  bad.write('\x1b', bad.indexOf('XX'), 'latin1');
  bad.write('\x07', bad.indexOf('YY'), 'latin1');
  await server.settle(); // the stream is between frames
  server.tap.inject(Buffer.concat([bad, evil]));
  await server.deliver('alice', 'bob', 'after them');
  const frame = await see(ui, 'alice: after them');
  const written = ui.stdout.frames.join('');
  t.false(written.includes('\x1b]0;pwned'));
  t.false(written.includes('\x07'));
  t.true(frame.includes('hi^[]0;pwned^Gx^M: there'), frame);
  t.false(frame.includes('mallory'), 'a message with control bytes in its content is refused by the decoder');
  ui.unmount();
});

test('keys that arrive in one chunk give the same line as typed one by one (printable, Backspace, Ctrl, escape sequences)', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  const lineAfter = async (chunks: string[]): Promise<string> => {
    const { ui } = start(t, server);
    await logIn(ui, 'bob', 'pw');
    await see(ui, /Inbox \(0\)/);
    for (const c of chunks) {
      ui.stdin.write(c);
      await new Promise((r) => setImmediate(r));
    }
    ui.stdin.write('\x05END'); // Ctrl-E then a marker: the frame is final once it shows
    const frame = await see(ui, /END/);
    ui.unmount();
    return /> (.*END)/.exec(frame)![1]!.trim();
  };
  const together = ['abcdef\x7f\x7f', 'xy\x01\x1b[C\x1b[C', '12\x05 \x15tail one two\x17'];
  const oneByOne = ['a', 'b', 'c', 'd', 'e', 'f', '\x7f', '\x7f', 'x', 'y', '\x01', '\x1b[C', '\x1b[C', '1', '2', '\x05', ' ', '\x15', 'tail one two', '\x17'];
  const a = await lineAfter(together);
  const b = await lineAfter(oneByOne);
  t.is(a, b);
  t.is(a, 'tail one END');
});

test('/help shows keys and commands readable at 80 columns: no description cut', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  const { ui } = start(t, server, {}, [80, 40]);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  ui.stdin.write('/help\r');
  const frame = await see(ui, 'any other key closes');
  t.true(frame.includes('always type into the message line,'));
  t.false(frame.includes('…'.repeat(1) + '│'), 'no truncation mark at a border');
  assertIntact(t, frame, 80);
  ui.stdin.write('\x1b');
  await see(ui, 'Inbox (0)');
  ui.unmount();
});

for (const [columns, rows] of [
  [40, 10],
  [50, 12],
  [59, 16],
  [80, 24],
] as const) {
  test(`defect 11: at ${columns}x${rows} the login screen and the main screen keep whole borders`, async (t) => {
    const server = await realServer(t);
    await server.account('bob');
    await server.account('alice');
    const { ui } = start(t, server, {}, [columns, rows]);
    const login = await see(ui, 'connected)');
    assertIntact(t, login, columns);
    t.true(login.includes('Username:'));
    t.true(login.includes('Password:'));
    await logIn(ui, 'bob', 'pw');
    await see(ui, /Inbox \(0\)/);
    await server.deliver('alice', 'bob', 'a message long enough to wrap at forty columns for sure, yes');
    ui.stdin.write('typed');
    const frame = await see(ui, '> typed');
    assertIntact(t, frame, columns);
    t.true(frame.split('\n').length <= rows - 1, 'the frame leaves the last row free');
    ui.unmount();
  });
}

test('below 40x10 the client says the window is too small', async (t) => {
  const server = await realServer(t);
  const { ui } = start(t, server, {}, [39, 10]);
  await see(ui, 'window too small');
  resize(ui, 40, 10);
  await see(ui, 'Username:');
  t.pass();
  ui.unmount();
});

test('users pane: /who filters with a wildcard, an empty result says so, Enter opens the conversation', async (t) => {
  const server = await realServer(t);
  await server.account('bob', 'alice', 'albert', 'carol');
  const { ui } = start(t, server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, 'Users (4)');
  ui.stdin.write('/who al\r');
  let frame = await see(ui, 'Users al (2)');
  t.true(frame.includes('albert'));
  t.false(frame.includes('carol'));
  ui.stdin.write('/who zz\r');
  await see(ui, 'nobody matches zz');
  ui.stdin.write('/who\r');
  await see(ui, 'Users (4)');
  ui.stdin.write('\x1b[B'); // Down: alice (the focus went to the users pane)
  ui.stdin.write('\r');
  frame = await see(ui, 'To: albert');
  t.true(frame.includes('albert (0)'));
  ui.stdin.write('hi');
  ui.stdin.write('\r');
  await see(ui, 'you → albert: hi');
  // The line shows as pending at once; wait for the server to have it (not for the frame).
  await until(() => server.tap.sends.length > 0, 'the message reached the server');
  t.deepEqual(server.tap.sends.map((s) => [s.recipient, s.content]), [['albert', 'hi']]);
  ui.unmount();
});

test('q types a q and never quits; /quit quits', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  const { ui, quitted } = start(t, server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  ui.stdin.write('\x1b'); // Esc
  ui.stdin.write('\t'); // to the messages pane
  await see(ui, '▶ Inbox');
  ui.stdin.write('q');
  await see(ui, '> q');
  t.false(quitted());
  ui.stdin.write('\x15/quit\r');
  await until(quitted, 'quit');
  t.true(quitted());
  ui.unmount();
});

test('the delete dialog reports waiting messages before deleting (with auto-fetch off)', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  await server.deliver('alice', 'bob', 'waiting one');
  const { ui } = start(t, server, { session: { autoFetch: false } });
  await logIn(ui, 'bob', 'pw');
  await see(ui, '1 waiting');
  ui.stdin.write('/delete\r');
  await see(ui, 'Delete account bob');
  ui.stdin.write('pw');
  await see(ui, 'Password: **');
  ui.stdin.write('\r');
  await see(ui, '1 waiting message will be discarded');
  ui.stdin.write('y');
  await see(ui, 'account bob deleted');
  t.false((await server.accounts()).includes('bob'));
  ui.unmount();
});

test('waiting messages are fetched at login by default', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  for (let i = 0; i < 3; i++) await server.deliver('alice', 'bob', `queued ${i}`);
  const { ui } = start(t, server);
  await logIn(ui, 'bob', 'pw');
  const frame = await see(ui, 'queued 2');
  t.true(frame.includes('Inbox (3)'));
  ui.unmount();
});

test('with auto-fetch off they wait until Ctrl-F, which works with the focus anywhere', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  for (let i = 0; i < 3; i++) await server.deliver('alice', 'bob', `queued ${i}`);
  const { ui } = start(t, server, { session: { autoFetch: false } });
  await logIn(ui, 'bob', 'pw');
  await see(ui, '3 waiting');
  ui.stdin.write('\t');
  await see(ui, '▶ Inbox');
  ui.stdin.write('\x06');
  const frame = await see(ui, 'queued 2');
  t.true(frame.includes('Inbox (3)'));
  t.false(frame.includes('waiting'));
  ui.unmount();
});

test('history: kept in a 0600 file, restored at the next login, searchable', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-history-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const server = await realServer(t);
  await server.account('bob');
  await server.account('alice');
  let { ui } = start(t, server, { session: { historyDir: dir } });
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  await server.deliver('alice', 'bob', 'remember the milk');
  await see(ui, 'alice: remember the milk');
  ui.stdin.write('/msg alice noted, naïvely\r');
  await see(ui, /you → alice: noted, naïvely ✓/);
  ui.unmount();
  const file = historyFile(dir, serversName(server.servers), 'bob');
  t.true(fs.existsSync(file));
  t.is(fs.statSync(file).mode & 0o777, 0o600);

  ({ ui } = start(t, server, { session: { historyDir: dir } }));
  await logIn(ui, 'bob', 'pw');
  const frame = await see(ui, 'Inbox (2)');
  t.true(frame.includes('alice: remember the milk'));
  t.true(frame.includes('you → alice: noted, naïvely'));
  ui.stdin.write('/search MILK\r');
  const found = await see(ui, 'Search "MILK" (1 found');
  t.true(found.includes('remember the milk'));
  ui.unmount();
});

test('the users pane marks who is online; a sent message shows ✓✓ once its recipient acknowledged it', async (t) => {
  const server = await realServer(t);
  await server.account('bob', 'alice', 'carol');
  const alice = await server.user('alice');
  alice.on('message', (m) => void alice.ack(m.id));
  const { ui } = start(t, server);
  await logIn(ui, 'bob', 'pw');
  let frame = await see(ui, '● alice');
  t.true(frame.includes('○ carol'));
  ui.stdin.write('/msg alice hi\r');
  frame = await see(ui, 'you → alice: hi ✓✓');
  await server.user('carol');
  await see(ui, '● carol');
  ui.unmount();
});

test('the status bar says TLS when the connection is secure, and not otherwise', (t) => {
  const state = { ...initialState('chat.example:7878', null), conn: 'connected' as const };
  const secure = render(<StatusBar state={state} width={80} secure />);
  t.regex(secure.lastFrame() ?? '', /● TLS chat\.example:7878/);
  secure.unmount();
  const plain = render(<StatusBar state={state} width={80} />);
  t.notRegex(plain.lastFrame() ?? '', /TLS/);
  t.regex(plain.lastFrame() ?? '', /● chat\.example:7878/);
  plain.unmount();
});

test('defect 6: an own message that wraps shows its whole first line and its ✓ at the end, at 80 columns', async (t) => {
  const server = await realServer(t);
  await server.account('bob', 'alice');
  const { ui } = start(t, server, {}, [80, 24]);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  const text = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua';
  ui.stdin.write(`/msg alice ${text}\r`);
  const frame = await see(ui, /aliqua ✓/);
  assertIntact(t, frame, 80);
  t.false(/incididun…|…│/.test(frame), 'nothing cut');
  const shown = frame.split('\n').map((l) => l.replace(/^│.*?││/, '').replace(/│$/, '').trim());
  const start0 = shown.findIndex((l) => l.includes('you → alice:'));
  t.true(start0 !== -1, frame);
  const words = shown.slice(start0, start0 + 4).join(' ').replace(/^\d\d:\d\d you → alice: /, '').replace(/ ✓$/, '').split(/\s+/).join(' ');
  t.is(words, text, 'every word is on screen');
});

test('defect 8: CJK text in the message line stays inside its box', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  const { ui } = start(t, server, {}, [50, 16]);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  ui.stdin.write('日本語のテキストはとても長いですね、本当に長い');
  const frame = await see(ui, '本当に長い');
  assertIntact(t, frame, 50);
  for (const l of frame.split('\n')) t.true(stringWidth(l) <= 50, `wider than the terminal: ${l}`);
});

test('defect 13: a zero-width space or a lone surrogate in a message does not eat the next character', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  const { ui } = start(t, server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  // UTF-7 can carry a lone surrogate (+2D0-) and a zero-width space (+IAs-).
  await server.deliver('alice', 'bob', 'A+IAs-BC and X+2D0-YZ', { flags: MessageFlags.UTF7 });
  const frame = await see(ui, 'alice: ABC and X\ufffdYZ');
  assertIntact(t, frame, 100);
});

test('defect 13: labels are shortened, not cut: the byte counter, the login hints, "window too small"', async (t) => {
  const server = await realServer(t);
  await server.account('bob');
  const { ui } = start(t, server, {}, [40, 10]);
  const login = await see(ui, 'connected)');
  t.false(/…/.test(login.replace('connecting…', '')), login);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  ui.stdin.write('/query alice\r');
  ui.stdin.write('x'.repeat(513));
  const over = await see(ui, '513/512');
  t.true(over.includes('1 byte over') || over.includes('+1'), over);
  t.false(over.includes('1 bytes'));
  resize(ui, 30, 8);
  const small = await see(ui, 'window too small');
  t.true(small.includes('termchat needs 40x10'), small);
});

test('defect 3: a bracketed three-line paste is one draft: nothing is sent until the question is answered', async (t) => {
  const server = await realServer(t);
  await server.account('bob', 'alice');
  const { ui } = start(t, server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  ui.stdin.write('/query alice\r');
  await see(ui, 'alice (0)');
  ui.stdin.write('\x1b[200~first line\rsecond line\rthird line\x1b[201~');
  await see(ui, '> first line↵second line↵third line');
  await see(ui, '3 lines pasted');
  ui.stdin.write('\r');
  await see(ui, 'Send 3 pasted lines to alice?');
  await server.settle();
  t.deepEqual(server.tap.sends, [], 'nothing sent');
  ui.stdin.write('s');
  await see(ui, 'alice (3)');
  await until(() => server.tap.sends.length === 3, 'three sent');
  t.deepEqual(server.tap.sends.map((s) => s.content), ['first line', 'second line', 'third line']);
});

test('/me is sent flagged ACTION and shown "* bob waves"; an action received reads "* alice waves"', async (t) => {
  const server = await realServer(t);
  await server.account('bob', 'alice');
  const { ui } = start(t, server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  ui.stdin.write('/query alice\r/me waves\r');
  await see(ui, '* bob waves ✓');
  await until(() => server.tap.sends.length === 1, 'sent');
  t.is(server.tap.sends[0]!.flags, MessageFlags.ACTION);
  await server.deliver('alice', 'bob', 'waves back', { flags: MessageFlags.ACTION });
  await see(ui, '* alice waves back');
});

test('defect 9: the windows list says what is above and below it, unread included; the activity list names the windows', async (t) => {
  const server = await realServer(t);
  const names = Array.from({ length: 8 }, (_, i) => `peer${i}`);
  await server.account('bob', ...names);
  const bells: number[] = [];
  const { ui } = start(t, server, { bell: () => bells.push(1) }, [80, 24]);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  for (const n of names) ui.stdin.write(`/query ${n}\r`);
  await see(ui, 'peer7 (0)');
  const frame = await see(ui, /▲ \d more/);
  t.true(frame.includes('9 peer7'));
  ui.stdin.write('\x1b1');
  await see(ui, /▼ \d more/);
  ui.stdin.write('\x1b2');
  await see(ui, 'peer0 (0)');
  await server.deliver('peer7', 'bob', 'hello from 9');
  await see(ui, '[Act: 9]');
  await see(ui, /▼ \d more, 1 new/);
  await until(() => bells.length === 1, 'the bell rang once');
});

test('defect 12: "reconnected" goes after a while; the "more below" footer names only keys that scroll from where the focus is', async (t) => {
  const server = await realServer(t);
  await server.account('bob', 'alice');
  const { ui } = start(t, server, { noticeMs: 300 }, [80, 24]);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  for (let i = 0; i < 40; i++) await server.deliver('alice', 'bob', `line ${i}`);
  await see(ui, 'Inbox (40)');
  server.tap.dropAll();
  await see(ui, 'reconnected');
  await until(() => !(ui.lastFrame() ?? '').includes('reconnected'), 'the notice gone');
  ui.stdin.write('\x1b[5~'); // PgUp, the focus on the message line
  let frame = await see(ui, 'more lines below');
  t.regex(frame, /more lines below · PgDn\s/);
  t.false(frame.includes('End'), 'End moves the cursor in the line: not offered');
  ui.stdin.write('\t'); // the messages pane: End scrolls there
  frame = await see(ui, 'PgDn / End');
  t.pass();
});
