/**
 * TUI benchmark (`npm run bench:tui`), two to three minutes (it builds dist/ for the memory figure):
 *  1. process start -> login screen visible, in a real pseudo-terminal (node-pty + headless xterm);
 *  2. a message sent by another user -> on screen, with 10,000 messages already in the inbox
 *     (in-process: a memory-store server over loopback, ink rendering into ink-testing-library's
 *     stdout; the inbox sent for real and fetched at login);
 *  3. the client's memory (RSS) with 10,000 messages in its history: the built client (dist/, run
 *     as its #! line says) against a real server; the messages are sent for real and fetched at a
 *     first login, then restored from the history file at each of three more starts, scrolled, and
 *     chatted over; then, each time,
 *  4. the same client left idle (logged in, nothing happening) for IDLE_MS: its CPU time and how
 *     often it woke up (context switches), from /proc.
 */
import { DEFAULT_SCROLLBACK } from '../src/tui/historyKeeper.js';
import { createElement } from 'react';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import xterm from '@xterm/headless';
import { render } from 'ink-testing-library';
import { App } from '../src/tui/App.js';
import { ChatClient } from '../src/protocol/client.js';
import { startServer } from '../src/server/server.js';
import { cpuMs } from './lib/procStats.js';
import { toWire } from '../src/tui/text/unicode.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const deadline = Date.now() + 55_000;
/** How long each measured client is left idle for its CPU figure. */
const IDLE_MS = 30_000;
/** When the memory is taken after the last key or message: the collector settles as in an idle chat. */
const SETTLE_MS = 20_000;
/** Measured client starts (the spread of their figures is reported). */
const RUNS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** Polls until check() holds; throws naming `what` after `timeout` ms. */
async function until(check: () => boolean, what: string, timeout = 30_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** An in-process server on the memory store, with bob and alice registered (cheap password hashes). */
async function benchServer() {
  const server = await startServer({ store: 'memory', port: 0, scryptCost: 1024 });
  const c = await ChatClient.connect({ port: server.port });
  await c.register('bench', 'benchpw');
  await c.register('alice', 'alicepw');
  await c.close();
  return server;
}

/** Start-up: spawn termchat on a pty and wait for the login box. */
async function startupOnce(): Promise<number> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env['CI'] = 'false';
  delete env['CONTINUOUS_INTEGRATION'];
  const t0 = performance.now();
  // Port 9 (discard) has no server here: the login screen shows while it keeps trying.
  const p = pty.spawn(process.execPath, ['--import', 'tsx', 'src/tui/main.ts', '--server', '127.0.0.1:9', '--no-local-server'], {
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

/** Send-to-screen with `n` messages already in the inbox (sent for real and fetched at login). */
async function pushLatency(n: number, rounds: number): Promise<number[]> {
  const server = await benchServer();
  const address = { host: '127.0.0.1', port: server.port };
  try {
    const alice = await ChatClient.connect(address);
    await alice.login('alice', 'alicepw');
    for (let i = 0; i < n; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, n - i) }, (_, k) => alice.send('bench', `message number ${i + k} `.repeat(1 + ((i + k) % 4)).trim())));
    }
    const ui = render(
      createElement(App, {
        connect: (a) => ChatClient.connect(a),
        servers: [address],
        onQuit: () => undefined,
        usersRefreshMs: 600_000,
        session: { historyDir: null },
      }),
    );
    const frame = () => ui.lastFrame() ?? '';
    await until(() => frame().includes('connected)'), 'login screen');
    ui.stdin.write('bench');
    await until(() => frame().includes('Username: bench'), 'username typed');
    ui.stdin.write('\t');
    await until(() => frame().includes('› Password:'), 'password field');
    ui.stdin.write('benchpw');
    await until(() => frame().includes('Password: *******'), 'password typed');
    ui.stdin.write('\r');
    await until(() => frame().includes(`Inbox (${n})`) && !frame().includes('fetching'), 'the inbox fetched', 60_000);
    const stdout = ui.stdout as unknown as { write: (f: string) => void };
    const write = stdout.write;
    const times: number[] = [];
    const sent: Promise<number>[] = [];
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
      sent.push(alice.send('bench', marker));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${marker} not on screen after 30 s`)), 30_000)))]);
      clearTimeout(timer);
    }
    await Promise.all(sent);
    await alice.close();
    ui.unmount();
    return times;
  } finally {
    await server.close();
  }
}

/** VmRSS and VmHWM (peak) of a process, in MB (Linux /proc), and its context switches so far. */
function procStatus(pid: number): { rss: number; peak: number; switches: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const num = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: num('VmRSS') / 1024, peak: num('VmHWM') / 1024, switches: num('voluntary_ctxt_switches') + num('nonvoluntary_ctxt_switches') };
}

interface MemoryRun {
  /** SETTLE_MS after the last activity. */
  rss: number;
  /** 2 s after it. */
  early: number;
  peak: number;
  /** CPU used while idle, as a percentage of one core. */
  idleCpu: number;
  /** Wake-ups (context switches) per minute while idle. */
  wakeups: number;
}

/** The built client with `n` messages in its history file, logged in to a real server: RUNS measured starts. */
async function memoryWithHistory(n: number): Promise<{ runs: MemoryRun[]; entry: string }> {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  const entry = 'dist/tui/main.js';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-bench-tui-'));
  const server = await benchServer();
  const { port } = server;
  try {
    const historyDir = path.join(dir, 'history');
    // The history is made the real way: alice sends n messages (some Unicode, as UTF-7), the
    // client fetches them at login and keeps them; the figures are taken in later client starts,
    // which restore them from disk.
    const alice = await ChatClient.connect({ port });
    await alice.login('alice', 'alicepw');
    for (let i = 0; i < n; i += 500) {
      const batch = Array.from({ length: Math.min(500, n - i) }, (_, k) => {
        const j = i + k;
        const w = toWire(j % 5 === 0 ? `héllo wörld ${j} 日本語 `.repeat(1 + (j % 6)).trim() : `message number ${j} `.repeat(1 + (j % 8)).trim());
        return alice.send('bench', w.content, j + 1, w.flags);
      });
      await Promise.all(batch);
    }
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    env['CI'] = 'false';
    delete env['CONTINUOUS_INTEGRATION'];
    // Run it as its #! line does (the flags there are part of what is measured).
    const shebang = /^#!\S*env -S node(.*)$/m.exec(fs.readFileSync(path.join(ROOT, entry), 'utf8').split('\n')[0]!);
    const nodeFlags = (shebang?.[1] ?? '').split(' ').filter(Boolean);
    const start = () => {
      const p = pty.spawn(
        process.execPath,
        [...nodeFlags, entry, '--server', `127.0.0.1:${port}`, '--no-local-server', '--history-dir', historyDir, '--log', path.join(dir, 'tui.log')],
        { name: 'xterm-256color', cols: 120, rows: 40, cwd: ROOT, env },
      );
      const term = new xterm.Terminal({ cols: 120, rows: 40, allowProposedApi: true });
      p.onData((d) => term.write(d));
      const screen = () => {
        const b = term.buffer.active;
        return Array.from({ length: 40 }, (_, i) => b.getLine(b.viewportY + i)?.translateToString(true) ?? '').join('\n');
      };
      const see = (s: string) =>
        until(() => screen().includes(s), s, 30_000).catch((err: Error) => {
          throw new Error(`${err.message}\n${screen()}`);
        });
      const quit = async () => {
        const exited = new Promise<void>((r) => p.onExit(() => r()));
        p.write('\x15\x03');
        await exited;
      };
      return { p, see, quit };
    };
    const first = start();
    await first.see('connected)');
    first.p.write('bench\tbenchpw\r');
    await first.see(`Inbox (${n})`);
    await first.quit();
    const runs: MemoryRun[] = [];
    let live = 0;
    for (let r = 0; r < RUNS; r++) {
      const c = start();
      await c.see('connected)');
      c.p.write('bench\tbenchpw\r');
      // Each start brings back the newest of them (the scrollback); the rest stay on disk.
      const shown = Math.min(n + live, DEFAULT_SCROLLBACK);
      await c.see(`Inbox (${shown})`);
      // Look around as a person would: scroll to the top and back, switch windows, chat.
      for (let i = 0; i < 20; i++) c.p.write('\x1b[5~');
      c.p.write('\x1b1\x0e\x0e\x10');
      for (let i = 0; i < 50; i++) await alice.send('bench', `live message ${r}.${i}`, n + live + i + 1, 0);
      live += 51;
      c.p.write('\x1b1');
      await c.see('│Inbox (');
      c.p.write(`/msg alice done ${r}\r`);
      await c.see(`you → alice: done ${r}`);
      await c.see(`Inbox (${shown + 51})`);
      // Memory as the collector settles in an idle chat, then CPU while it stays idle.
      await new Promise((res) => setTimeout(res, 2000));
      const early = procStatus(c.p.pid).rss;
      await new Promise((res) => setTimeout(res, SETTLE_MS - 2000));
      const m = procStatus(c.p.pid);
      const cpu0 = cpuMs(c.p.pid);
      const t0 = Date.now();
      await new Promise((res) => setTimeout(res, IDLE_MS));
      const idle = Date.now() - t0;
      const m1 = procStatus(c.p.pid);
      runs.push({ rss: m.rss, early, peak: m.peak, idleCpu: ((cpuMs(c.p.pid) - cpu0) / idle) * 100, wakeups: ((m1.switches - m.switches) * 60_000) / idle });
      await c.quit();
    }
    await alice.close();
    return { runs, entry: `node ${[...nodeFlags, entry].join(' ')}` };
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** "min-max (median m)" of a figure over the runs. */
function spread(xs: number[], digits: number, unit: string): string {
  const sorted = [...xs].sort((a, b) => a - b);
  const f = (x: number) => `${x.toFixed(digits)}${unit}`;
  return `${f(sorted[0]!)}-${f(sorted.at(-1)!)} (median ${f(median(xs))})`;
}

const startups: number[] = [];
for (let i = 0; i < 3 && Date.now() < deadline; i++) startups.push(await startupOnce());
const small = await pushLatency(10, 30);
const big = await pushLatency(10_000, 50);
const mem = await memoryWithHistory(10_000);

console.log('termchat TUI benchmark');
console.log(`| measurement | median | p95 | runs |`);
console.log(`|---|---|---|---|`);
console.log(`| start -> login screen (pty, tsx from source) | ${fmt(median(startups))} | ${fmt(pct(startups, 0.95))} | ${startups.length} |`);
console.log(`| push -> on screen, 10 messages in inbox | ${fmt(median(small))} | ${fmt(pct(small, 0.95))} | ${small.length} |`);
console.log(`| push -> on screen, 10,000 messages in inbox | ${fmt(median(big))} | ${fmt(pct(big, 0.95))} | ${big.length} |`);
const { runs } = mem;
console.log(`| client RSS, 10,000 messages in history, the newest ${DEFAULT_SCROLLBACK} brought back, ${SETTLE_MS / 1000} s after the last key or message (${mem.entry}) | ${spread(runs.map((r) => r.rss), 0, ' MB')} | 2 s after: ${spread(runs.map((r) => r.early), 0, ' MB')}; peak ${spread(runs.map((r) => r.peak), 0, ' MB')} | ${runs.length} |`);
console.log(`| client CPU while idle, logged in, the ${IDLE_MS / 1000} s after that | ${spread(runs.map((r) => r.idleCpu), 3, ' %')} | ${spread(runs.map((r) => r.wakeups), 0, ' wake-ups/min')} | ${runs.length} |`);
process.exit(0);
