import test from 'ava';
import { render } from 'ink-testing-library';
import { App } from '../../src/tui/App.js';
import { FakeServer, until } from './fakeClient.js';

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

function start(server: FakeServer) {
  let quit = false;
  const ui = render(<App connect={server.connect} server="fake:1" onQuit={() => (quit = true)} usersRefreshMs={60_000} />);
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

test('a wrong password shows the server error on the login screen', async (t) => {
  const server = new FakeServer();
  server.accounts.set('bob', 'right');
  const { ui } = start(server);
  await logIn(ui, 'bob', 'wrong');
  const frame = await see(ui, 'wrong username or password');
  t.true(frame.includes('termchat — log in'));
  ui.unmount();
});

test('Ctrl-R registers a new account and logs in', async (t) => {
  const server = new FakeServer();
  const { ui } = start(server);
  await see(ui, 'connected)');
  ui.stdin.write('\x12');
  await see(ui, 'create an account');
  await logIn(ui, 'newbie', 'pw');
  await see(ui, /Inbox \(0\)/);
  t.true(server.accounts.has('newbie'));
  ui.unmount();
});

test('a pushed message appears in the inbox at once, with its sender', async (t) => {
  const server = new FakeServer();
  server.accounts.set('bob', 'pw');
  server.accounts.set('alice', 'pw');
  const { ui } = start(server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  server.deliver('alice', 'bob', 'hello bob', new Date(2026, 0, 1, 9, 5).getTime());
  const frame = await see(ui, '09:05 alice: hello bob');
  t.true(frame.includes('Inbox (1)'));
  ui.unmount();
});

test('the filter narrows the users list with a wildcard', async (t) => {
  const server = new FakeServer();
  for (const n of ['bob', 'alice', 'albert', 'carol']) server.accounts.set(n, 'pw');
  const { ui } = start(server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, 'Users (4)');
  ui.stdin.write('\t'); // compose -> users
  await see(ui, '▶ Users');
  ui.stdin.write('/');
  await see(ui, /\/ +│/); // the empty filter field, now with a cursor
  ui.stdin.write('al');
  await see(ui, '/al');
  ui.stdin.write('\r');
  const frame = await see(ui, 'Users (2)');
  t.true(frame.includes('alice'));
  t.true(frame.includes('albert'));
  t.false(frame.includes('carol'));
  ui.unmount();
});

test('? shows the help overlay with the keys; any key closes it; q quits', async (t) => {
  const server = new FakeServer();
  server.accounts.set('bob', 'pw');
  const { ui, quitted } = start(server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, /Inbox \(0\)/);
  ui.stdin.write('?'); // compose has focus: ? is text
  await see(ui, '> ?');
  ui.stdin.write('\x7f'); // Backspace
  await until(() => !(ui.lastFrame() ?? '').includes('> ?'), 'the ? erased');
  ui.stdin.write('\t');
  await see(ui, '▶ Users');
  ui.stdin.write('?');
  const help = await see(ui, 'Keys — press any key to close');
  t.true(help.includes('Ctrl-D'));
  t.true(help.includes('PgUp / PgDn'));
  ui.stdin.write(' ');
  await see(ui, '▶ Users');
  t.false(quitted());
  ui.stdin.write('q');
  await until(quitted, 'quit');
  t.true(quitted());
  ui.unmount();
});

test('Enter on a user makes them the recipient and the message is sent', async (t) => {
  const server = new FakeServer();
  server.accounts.set('alice', 'pw');
  server.accounts.set('bob', 'pw');
  const { ui } = start(server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, 'Users (2)');
  ui.stdin.write('\t');
  await see(ui, '▶ Users');
  ui.stdin.write('\r'); // alice is first
  await see(ui, 'To: alice');
  ui.stdin.write('hi alice');
  await see(ui, '> hi alice');
  ui.stdin.write('\r');
  await see(ui, 'you → alice: hi alice');
  t.deepEqual(server.sends.map((s) => s.content), ['hi alice']);
  ui.unmount();
});

test('the delete dialog reports waiting messages before deleting', async (t) => {
  const server = new FakeServer();
  server.accounts.set('bob', 'pw');
  server.deliver('alice', 'bob', 'waiting one');
  const { ui } = start(server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, '1 waiting');
  ui.stdin.write('\x04'); // Ctrl-D
  await see(ui, 'Delete account bob');
  ui.stdin.write('pw');
  await see(ui, 'Password: **');
  ui.stdin.write('\r');
  await see(ui, '1 waiting message will be discarded');
  ui.stdin.write('y');
  await see(ui, 'account bob deleted');
  t.false(server.accounts.has('bob'));
  ui.unmount();
});

test('f fetches waiting messages into the inbox', async (t) => {
  const server = new FakeServer();
  server.accounts.set('bob', 'pw');
  for (let i = 0; i < 3; i++) server.deliver('alice', 'bob', `queued ${i}`);
  const { ui } = start(server);
  await logIn(ui, 'bob', 'pw');
  await see(ui, '3 waiting');
  ui.stdin.write('\x1b'); // Esc leaves compose
  await see(ui, '▶ Inbox');
  ui.stdin.write('f');
  const frame = await see(ui, 'queued 2');
  t.true(frame.includes('Inbox (3)'));
  t.false(frame.includes('waiting'));
  ui.unmount();
});
