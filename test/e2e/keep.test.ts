/**
 * Nothing typed is lost, in real pseudo-terminals (node-pty + headless xterm) against a real server
 * child: unsent messages across quitting and a restart, /msg alone, a bracketed paste, a receipt
 * pushed before the LoginOk answer (put there by a tap), a draft through a takeover, keys typed
 * before the client has drawn.
 */
import test, { type ExecutionContext } from 'ava';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatClient } from '../../src/protocol/client.js';
import { encode } from '../../src/protocol/codec.js';
import { exited, spawnServer } from '../server/helpers.js';
import { Tap } from '../lib/tap.js';
import { waitFor } from '../wait.js';
import { startTui, typeCredentials, withScreen, type Screen } from './pty.js';

const PASSWORD = 'pw-1234';

interface World {
  dir: string;
  port: number;
  server: ChildProcess;
  screens: Screen[];
  /** A termchat on `servers` (default: the server), history under the test's directory. */
  tui(name: string, servers?: string): Screen;
  /** Stops the server (SIGKILL: nothing is said to the clients) and starts it again on the same port and data. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

async function world(t: ExecutionContext, ...accounts: string[]): Promise<World> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-keep-'));
  const first = await spawnServer(dir);
  const w: World = {
    dir,
    port: first.port,
    server: first.child,
    screens: [],
    tui(name, servers = `127.0.0.1:${w.port}`) {
      const s = startTui(servers, path.join(dir, `${name}.log`), path.join(dir, 'history'));
      w.screens.push(s);
      return s;
    },
    async kill() {
      w.server.kill('SIGKILL');
      await exited(w.server);
    },
    async restart() {
      w.server = (await spawnServer(dir, ['--port', String(w.port)])).child;
    },
  };
  t.teardown(async () => {
    for (const s of w.screens) {
      try {
        s.proc.kill();
      } catch {
        // gone already
      }
    }
    w.server.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const c = await ChatClient.connect({ port: w.port });
  for (const a of accounts) await c.register(a, PASSWORD);
  await c.close();
  return w;
}

async function logIn(s: Screen, name: string): Promise<void> {
  await s.waitText('connected)');
  await typeCredentials(s, name, PASSWORD);
  await s.waitText(`│ ${name}`);
}

/** Everything waiting for `name` on the server, fetched and acknowledged. */
async function inbox(port: number, name: string): Promise<string[]> {
  const c = await ChatClient.connect({ port });
  try {
    await c.login(name, PASSWORD);
    const out: string[] = [];
    for (;;) {
      const { messages, remaining } = await c.fetch(100);
      out.push(...messages.map((m) => m.content));
      if (messages.length > 0) await c.ack(messages.at(-1)!.id);
      if (remaining === 0) return out;
    }
  } finally {
    await c.close();
  }
}

test('defect 1: three lines written while the server is down survive quitting (which says so and asks); after a restart of both they arrive, once each', async (t) => {
  const w = await world(t, 'bob', 'alice');
  const bob = w.tui('bob');
  await logIn(bob, 'bob');
  bob.type('/query alice\r');
  await bob.waitText('alice (0)');
  await w.kill();
  await bob.waitText(/disconnected|connecting/);
  for (const line of ['one', 'two', 'three']) {
    bob.type(`${line}\r`);
    await bob.waitText(`you → alice: ${line} …`);
  }
  bob.type('\x03');
  await bob.waitText('3 messages not accepted by the server yet: kept in the outbox');
  bob.type('y');
  t.is(await bob.exited, 0);

  await w.restart();
  const again = w.tui('bob-again');
  await logIn(again, 'bob');
  await again.waitText(/you → alice: three ✓/);
  t.deepEqual(await inbox(w.port, 'alice'), ['one', 'two', 'three']);
  // Once: a third start has nothing left to send.
  again.type('\x03');
  t.is(await again.exited, 0);
  const third = w.tui('bob-third');
  await logIn(third, 'bob');
  await third.waitText(/you → alice: three ✓/);
  t.deepEqual(await inbox(w.port, 'alice'), []);
});

test('defect 2: /msg alone sends nothing and shows its usage', async (t) => {
  const w = await world(t, 'bob', 'alice');
  const bob = w.tui('bob');
  await logIn(bob, 'bob');
  bob.type('/query alice\r');
  await bob.waitText('alice (0)');
  bob.type('/msg\r');
  await bob.waitText('usage: /msg NAME TEXT');
  bob.type('\x15after\r');
  await bob.waitText(/you → alice: after ✓/);
  t.deepEqual(await inbox(w.port, 'alice'), ['after'], '"/msg" was never sent');
});

test('defect 3: a bracketed three-line paste sends nothing until confirmed, then what was chosen', async (t) => {
  const w = await world(t, 'bob', 'alice');
  const bob = w.tui('bob');
  await logIn(bob, 'bob');
  bob.type('/query alice\r');
  await bob.waitText('alice (0)');
  bob.type('\x1b[200~first line\rsecond line\rthird line\r\x1b[201~');
  await bob.waitText('> first line↵second line↵third line');
  bob.type('\r');
  await bob.waitText('Send 3 pasted lines to alice?');
  t.deepEqual(await inbox(w.port, 'alice'), [], 'nothing sent before the answer');
  bob.type('y');
  await bob.waitText(/you → alice: first line second line third line ✓/);
  t.deepEqual(await inbox(w.port, 'alice'), ['first line second line third line'], 'one message, as chosen');
});

test('defect 4: a receipt pushed before the LoginOk answer shows ✓✓', async (t) => {
  const w = await world(t, 'bob', 'alice');
  const tap = await Tap.start({ host: '127.0.0.1', port: w.port });
  t.teardown(() => tap.close());
  const via = `127.0.0.1:${tap.port}`;
  const bob = w.tui('bob', via);
  await logIn(bob, 'bob');
  bob.type('/msg alice read me while I am away\r');
  await bob.waitText(/you → alice: read me while I am away ✓/);
  const accepted = tap.answers.find((a) => a.answer.type === 'Accepted')!.answer as { messageId: number };
  bob.type('\x03');
  t.is(await bob.exited, 0);

  const next = w.tui('bob-next', via);
  await next.waitText('connected)');
  // The server's bytes are held; once its LoginOk is among them, the receipt goes in front of it.
  tap.hold(true);
  await typeCredentials(next, 'bob', PASSWORD);
  await waitFor(() => tap.answers.some((a) => a.answer.type === 'LoginOk'), 'LoginOk held at the tap');
  tap.inject(encode({ type: 'Delivered', ids: [accepted.messageId] }, 0));
  tap.hold(false);
  await next.waitText(/you → alice: read me while I am away ✓✓/);
  t.pass();
});

test('defect 5: taken over while typing, the line is kept and said so, and the next login brings it back', async (t) => {
  const w = await world(t, 'bob');
  const a = w.tui('bob-a');
  await logIn(a, 'bob');
  a.type('half typed answer');
  await a.waitText('> half typed answer');
  const b = w.tui('bob-b');
  await logIn(b, 'bob');
  await a.waitText('Logged in elsewhere');
  await a.waitText('kept for your next login.');
  a.type('\x03');
  t.is(await a.exited, 0);
  b.type('\x03');
  t.is(await b.exited, 0);
  const c = w.tui('bob-c');
  await logIn(c, 'bob');
  await c.waitText('> half typed answer');
  t.pass();
});

test('defect 10: keys typed before the client has drawn log in, in order, and are never shown (not the password above all)', async (t) => {
  const w = await world(t, 'bob');
  const secret = 'S3cret-pw-typed-early';
  const c = await ChatClient.connect({ port: w.port });
  await c.register('early', secret);
  await c.close();
  const s = w.tui('early');
  // The client's first act is raw mode and the alternate screen; stopped right there, it has drawn nothing.
  await waitFor(() => s.term.buffer.active.type === 'alternate', withScreen('the alternate screen', s.text));
  s.proc.kill('SIGSTOP');
  t.false(s.text().includes('log in'), 'stopped before the first frame');
  s.type(`early\t${secret}\r`);
  s.proc.kill('SIGCONT');
  await s.waitText('│ early');
  t.false(s.output().includes(secret), 'the password never reached the screen');
  t.false(s.output().includes('early\t'), 'nothing was echoed');
  t.false(s.otherScreen().includes(secret));
});

test('defect 10: keys typed even before the terminal is raw (a line feed for Enter) still log in', async (t) => {
  const w = await world(t, 'bob');
  const s = w.tui('bob');
  s.type(`bob\t${PASSWORD}\r`);
  await s.waitText('│ bob');
  t.false(s.text().includes(PASSWORD), 'not on the client screen');
});
