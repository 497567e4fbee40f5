/**
 * End to end in real pseudo-terminals: a server on port 0, two termchat processes driven by keys
 * through node-pty, their screens read back through a headless xterm.
 */
import test, { type ExecutionContext } from 'ava';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import xterm from '@xterm/headless';
import { spawnServer } from '../server/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const COLS = 100;
const ROWS = 30;
const TIMEOUT = 60_000;

/** Polls until check() is truthy; fails with `what` and the last screen after `timeout`. */
async function waitFor<T>(check: () => T | undefined | false, what: string, screen?: () => string, timeout = TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${screen ? `\n--- screen ---\n${screen()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Screen {
  proc: pty.IPty;
  term: xterm.Terminal;
  text(): string;
  exited: Promise<number>;
  waitText(s: string | RegExp): Promise<void>;
  type(s: string): void;
}

function startTui(port: number, logFile: string): Screen {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env['CONTINUOUS_INTEGRATION'];
  env['CI'] = 'false'; // ink renders only the last frame when it believes it runs in CI
  env['TERM'] = 'xterm-256color';
  env['TERMCHAT_LOG'] = logFile;
  const proc = pty.spawn(
    process.execPath,
    ['--import', 'tsx', 'src/tui/main.tsx', '--server', `127.0.0.1:${port}`, '--no-local-server'],
    { name: 'xterm-256color', cols: COLS, rows: ROWS, cwd: ROOT, env },
  );
  const term = new xterm.Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
  proc.onData((d) => term.write(d));
  const exited = new Promise<number>((resolve) => proc.onExit(({ exitCode }) => resolve(exitCode)));
  const text = () => {
    const b = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < ROWS; i++) lines.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? '');
    return lines.join('\n');
  };
  return {
    proc,
    term,
    text,
    exited,
    waitText: async (s) => {
      await waitFor(() => (typeof s === 'string' ? text().includes(s) : s.test(text())), `screen to show ${String(s)}`, text);
    },
    type: (s) => proc.write(s),
  };
}

/** A server child on a free port, or on `port` again after a restart. */
const startServer = (dir: string, port = 0) => spawnServer(dir, ['--port', String(port)]);

async function registerAndLogIn(s: Screen, name: string, password: string): Promise<void> {
  await s.waitText('termchat — log in');
  await s.waitText('connected)');
  s.type('\x12'); // Ctrl-R: register instead
  await s.waitText('termchat — create an account');
  s.type(name);
  await s.waitText(`Username: ${name}`);
  s.type('\t');
  await s.waitText('› Password:');
  s.type(password);
  await s.waitText(`Password: ${'*'.repeat(password.length)}`);
  s.type('\r');
  await s.waitText(/Inbox \(\d+\)/);
  await s.waitText(`│ ${name}`);
}

/** Kills every TUI started in a test and the test's current server when the test ends. */
function cleanUpAfter(t: ExecutionContext, server: () => ChildProcess): Screen[] {
  const screens: Screen[] = [];
  t.teardown(() => {
    for (const s of screens) {
      try {
        s.proc.kill();
      } catch {
        // already gone
      }
    }
    server().kill('SIGTERM');
  });
  return screens;
}

test('two terminals: register, log in, send, receive, quit restores the terminal', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-e2e-'));
  const { child: server, port } = await startServer(dir);
  const screens = cleanUpAfter(t, () => server);
  const alice = startTui(port, path.join(dir, 'alice.log'));
  const bob = startTui(port, path.join(dir, 'bob.log'));
  screens.push(alice, bob);

  // The TUI switched to the alternate screen.
  await alice.waitText('termchat — log in');
  t.is(alice.term.buffer.active.type, 'alternate');

  await registerAndLogIn(alice, 'alice', 'secret1');
  await registerAndLogIn(bob, 'bob', 'secret2');

  // Alice writes to bob by @name; bob sees it at once.
  alice.type('@bob hello from alice');
  await alice.waitText('> @bob hello from alice');
  alice.type('\r');
  await alice.waitText('you → bob: hello from alice');
  await bob.waitText(/\d\d:\d\d alice: hello from alice/);
  // Bob's user list shows both accounts once it refreshes.
  bob.type('\t'); // compose -> users
  await bob.waitText('▶ Users');
  bob.type('r');
  await bob.waitText('Users (2)');
  await bob.waitText('alice');

  // An unknown recipient is reported inline, not a crash.
  alice.type('@nobody hi');
  await alice.waitText('> @nobody hi');
  alice.type('\r');
  await alice.waitText(/✗ .*nobody/);

  // Bob answers: Enter on alice in the users pane makes her the recipient.
  bob.type('\r');
  await bob.waitText('To: alice');
  bob.type('hi alice, got it');
  await bob.waitText('> hi alice, got it');
  bob.type('\r');
  await bob.waitText('you → alice: hi alice, got it');
  await alice.waitText(/\d\d:\d\d bob: hi alice, got it/);
  bob.type('\t'); // compose -> users, where q is a command again
  await bob.waitText('▶ Users');

  fs.writeFileSync(path.join(os.tmpdir(), 'termchat-e2e-screen.txt'), bob.text() + '\n');
  t.log(bob.text());

  // q (outside a text field) quits and leaves the alternate screen.
  bob.type('q');
  t.is(await bob.exited, 0);
  await waitFor(() => bob.term.buffer.active.type === 'normal', 'bob terminal back to the normal buffer');
  t.is(bob.term.buffer.active.type, 'normal');

  // Ctrl-C quits from a text field too.
  alice.type('\x03');
  t.is(await alice.exited, 0);
  await waitFor(() => alice.term.buffer.active.type === 'normal', 'alice terminal back to the normal buffer');
  t.is(alice.term.buffer.active.type, 'normal');
});

test('server restart: the TUI says so, reconnects, logs in again by itself, keeps typed text; SIGTERM restores the terminal', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-e2e-'));
  let { child: server, port } = await startServer(dir);
  const screens = cleanUpAfter(t, () => server);
  const carol = startTui(port, path.join(dir, 'carol.log'));
  screens.push(carol);
  await registerAndLogIn(carol, 'carol', 'secret3');
  carol.type('@carol note to self');
  await carol.waitText('> @carol note to self');

  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
  await carol.waitText(/disconnected|connecting/);

  ({ child: server } = await startServer(dir, port));
  await carol.waitText('● 127.0.0.1');
  await carol.waitText('reconnected');
  // The half-typed line survived; sending it works on the new connection.
  t.true(carol.text().includes('> @carol note to self'));
  carol.type('\r');
  await carol.waitText(/\d\d:\d\d carol: note to self/);
  // SIGTERM also leaves the alternate screen.
  carol.proc.kill('SIGTERM');
  await carol.exited;
  await waitFor(() => carol.term.buffer.active.type === 'normal', 'carol terminal back to the normal buffer', carol.text);
  t.is(carol.term.buffer.active.type, 'normal');
});
