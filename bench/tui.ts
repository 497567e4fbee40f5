/**
 * TUI benchmark (`npm run bench:tui`), bounded well under a minute:
 *  1. process start -> login screen visible, in a real pseudo-terminal (node-pty + headless xterm);
 *  2. a pushed message -> on screen, with 10,000 messages already in the inbox (in-process, ink
 *     rendering into ink-testing-library's stdout, fake client).
 */
import { createElement } from 'react';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import xterm from '@xterm/headless';
import { render } from 'ink-testing-library';
import { App } from '../src/tui/App.js';
import { initialState, reduce, type IncomingMessage, type State } from '../src/tui/state/index.js';
import { FakeServer, until, type FakeClient } from '../test/tui/fakeClient.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const deadline = Date.now() + 55_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** Start-up: spawn termchat on a pty and wait for the login box. */
async function startupOnce(): Promise<number> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env['CI'] = 'false';
  delete env['CONTINUOUS_INTEGRATION'];
  const t0 = performance.now();
  // Port 9 (discard) has no server here: the login screen shows while it keeps trying.
  const p = pty.spawn(process.execPath, ['--import', 'tsx', 'src/tui/main.tsx', '--server', '127.0.0.1:9', '--no-local-server'], {
    name: 'xterm-256color',
    cols: 100,
    rows: 30,
    cwd: ROOT,
    env,
  });
  const term = new xterm.Terminal({ cols: 100, rows: 30, allowProposedApi: true });
  let seenAt = 0;
  p.onData((d) =>
    term.write(d, () => {
      if (seenAt) return;
      const b = term.buffer.active;
      for (let i = 0; i < 30; i++) {
        if (b.getLine(i)?.translateToString(true).includes('termchat — log in')) {
          seenAt = performance.now();
          break;
        }
      }
    }),
  );
  await until(() => seenAt > 0, 'login screen', 30_000);
  const exited = new Promise<void>((r) => p.onExit(() => r()));
  p.write('\x03');
  await exited;
  return seenAt - t0;
}

/** Push-to-screen with `n` messages already in the inbox. */
async function pushLatency(n: number, rounds: number): Promise<number[]> {
  const msgs: IncomingMessage[] = Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    sender: `user${i % 50}`,
    clientId: 0,
    flags: 0,
    sentAt: Date.now(),
    text: `message number ${i} `.repeat(1 + (i % 4)),
  }));
  let s: State = reduce(initialState('bench:1'), { type: 'loggedIn', me: 'bob', undelivered: 0 });
  s = reduce(s, { type: 'messages', messages: msgs, live: false });
  const server = new FakeServer();
  const ui = render(createElement(App, { connect: server.connect, server: 'bench:1', onQuit: () => undefined, initial: s, usersRefreshMs: 600_000 }));
  await until(() => server.clients.length > 0 && (ui.lastFrame() ?? '').includes(`Inbox (${n})`), 'first frame', 30_000);
  const client = server.clients[0] as FakeClient;
  const stdout = ui.stdout as unknown as { write: (f: string) => void };
  const write = stdout.write;
  const times: number[] = [];
  let id = n + 1;
  for (let r = 0; r < rounds && Date.now() < deadline; r++) {
    const marker = `push-${r}-marker`;
    const t0 = performance.now();
    const done = new Promise<void>((resolve) => {
      stdout.write = (f: string) => {
        write(f);
        if (f.includes(marker)) {
          times.push(performance.now() - t0);
          stdout.write = write;
          resolve();
        }
      };
    });
    client.emit('message', { id: id++, sender: 'alice', clientId: 0, flags: 0, sentAt: Date.now(), content: marker });
    await done;
  }
  ui.unmount();
  return times;
}

const startups: number[] = [];
for (let i = 0; i < 3 && Date.now() < deadline; i++) startups.push(await startupOnce());
const small = await pushLatency(10, 30);
const big = await pushLatency(10_000, 50);

console.log('termchat TUI benchmark');
console.log(`| measurement | median | p95 | runs |`);
console.log(`|---|---|---|---|`);
console.log(`| start -> login screen (pty, tsx from source) | ${fmt(median(startups))} | ${fmt(pct(startups, 0.95))} | ${startups.length} |`);
console.log(`| push -> on screen, 10 messages in inbox | ${fmt(median(small))} | ${fmt(pct(small, 0.95))} | ${small.length} |`);
console.log(`| push -> on screen, 10,000 messages in inbox | ${fmt(median(big))} | ${fmt(pct(big, 0.95))} | ${big.length} |`);
process.exit(0);
