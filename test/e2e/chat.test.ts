/**
 * End to end in real pseudo-terminals: a server on port 0, two termchat processes driven by keys
 * through node-pty, their screens read back through a headless xterm.
 */
import test, { type ExecutionContext } from 'ava';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnServer } from '../server/helpers.js';
import { startTui as startTuiOn, typeCredentials, withScreen, type Screen } from './pty.js';
import { waitFor } from '../wait.js';

/** A termchat on a pty for the server on `port`; `historyDir` keeps its history under the test's temp directory. */
const startTui = (port: number, logFile: string, historyDir?: string): Screen => startTuiOn(`127.0.0.1:${port}`, logFile, historyDir);

/** A server child on a free port, or on `port` again after a restart. */
const startServer = (dir: string, port = 0) => spawnServer(dir, ['--port', String(port)]);

async function registerAndLogIn(s: Screen, name: string, password: string): Promise<void> {
  await s.waitText('termchat — log in');
  await s.waitText('connected)');
  s.type('\x12'); // Ctrl-R: register instead
  await s.waitText('termchat — create an account');
  await typeCredentials(s, name, password);
  await s.waitText(/Inbox \(\d+\)/);
  await s.waitText(`│ ${name}`);
}

async function logIn(s: Screen, name: string, password: string): Promise<void> {
  await s.waitText('termchat — log in');
  await s.waitText('connected)');
  await typeCredentials(s, name, password);
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

test('two users chat in Unicode both ways with /msg and Tab completion; a third terminal takes over; history survives a restart; quitting restores the terminal', async (t) => {
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
  // Alice's user list was loaded before bob existed; it is asked for again when looked at (no polling).
  alice.type('\t\t');
  await alice.waitText('Users (2)');
  alice.type('\x1b');
  await alice.waitText('▶ To:');

  // Alice writes to bob with /msg, completing his name with Tab, in Unicode.
  alice.type('/msg bo');
  await alice.waitText('> /msg bo');
  alice.type('\t');
  await alice.waitText('> /msg bob ');
  alice.type('café über 日本');
  await alice.waitText('> /msg bob café über 日本');
  await alice.waitText(/\d+\/512/);
  alice.type('\r');
  await alice.waitText(/you → bob: café über 日本 ✓/);
  await bob.waitText(/\d\d:\d\d alice: café über 日本/);
  // Bob has a window for alice; Alt-2 shows it and a plain line goes to her.
  await bob.waitText('2 alice');
  bob.type('\x1b2');
  await bob.waitText('alice (1)');
  bob.type('grüße zurück, ça va?');
  await bob.waitText('To: alice');
  bob.type('\r');
  await bob.waitText(/you → alice: grüße zurück, ça va\? ✓/);
  await alice.waitText(/\d\d:\d\d bob: grüße zurück, ça va\?/);

  // q and other letters type text wherever the focus is: nothing quits.
  bob.type('\t');
  await bob.waitText('▶ alice');
  bob.type('q');
  await bob.waitText('> q');
  bob.type('\x7f');
  await waitFor(() => !bob.text().includes('> q'), withScreen('the q erased', bob.text));

  fs.writeFileSync(path.join(os.tmpdir(), 'termchat-e2e-screen.txt'), bob.text() + '\n');
  t.log(bob.text());

  // A third terminal logs in as bob: it takes over, and shows the history kept on disk.
  const bob2 = startTui(port, path.join(dir, 'bob2.log'));
  screens.push(bob2);
  await logIn(bob2, 'bob', 'secret2');
  await bob.waitText('Logged in elsewhere');
  await bob2.waitText(/alice: café über 日本/);
  await bob2.waitText(/you → alice: grüße zurück, ça va\?/);

  // Restart that client: the history is still there.
  bob2.type('\x03');
  t.is(await bob2.exited, 0);
  const bob3 = startTui(port, path.join(dir, 'bob3.log'));
  screens.push(bob3);
  await logIn(bob3, 'bob', 'secret2');
  await bob3.waitText(/alice: café über 日本/);
  await bob3.waitText('Inbox (2)');
  bob3.type('/search zurück\r');
  await bob3.waitText('Search "zurück" (1 found');

  // Ctrl-C with an empty line quits and leaves the alternate screen.
  bob3.type('\x15\x03');
  t.is(await bob3.exited, 0);
  await waitFor(() => bob3.term.buffer.active.type === 'normal', 'bob terminal back to the normal buffer');

  // With a draft, Ctrl-C asks first.
  alice.type('unsent draft');
  await alice.waitText('> unsent draft');
  alice.type('\x03');
  await alice.waitText('The message line has text');
  alice.type('y');
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
  // A message to ourselves shows once, as sent.
  await carol.waitText(/\d\d:\d\d you → carol: note to self/);
  // SIGTERM also leaves the alternate screen.
  carol.proc.kill('SIGTERM');
  await carol.exited;
  await waitFor(() => carol.term.buffer.active.type === 'normal', withScreen('carol terminal back to the normal buffer', carol.text));
  t.is(carol.term.buffer.active.type, 'normal');
});
