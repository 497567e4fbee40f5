/**
 * `npm run bench:groups` (and a section of `npm run bench`): a group of 100 members on one termchat
 * server (SQLite, as shipped), measured from a second process with lean clients (lib/groupWire.ts):
 * - all online, one sender then ten: pushes delivered per second, the server's CPU per push (every
 *   thread, /proc) beside its CPU per one-to-one relayed message in the same run, and send -> last
 *   member's push latency at a steady rate;
 * - half the members offline: messages accepted per second (queued for 50), then the 50 log in and
 *   fetch + ack at once;
 * - database bytes per waiting group message, for 10 and for 100 members (and a one-to-one message).
 * Targets (issue 20): CPU per push at most a third of a one-to-one relayed message's; bytes per
 * message independent of the number of members. Writes bench/results-groups.md when run alone.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChatClient } from '../src/protocol/client.js';
import { ServerError } from '../src/protocol/errors.js';
import { content as contentField } from '../src/protocol/schema.js';
import { contentFor, freePort, loadAvg, machine, percentile, ROOT, stopChild, waitLine } from './lib/common.js';
import { relayThroughput } from './lib/figures.js';
import { groupClient, type GroupClient } from './lib/groupWire.js';
import { cpuMs } from './lib/procStats.js';
import { termchatWire } from './lib/termchatWire.js';

const PASSWORD = 'bench password';
const CONTENT = contentField.size;
const MEMBERS = 100;

export interface GroupBenchOptions {
  quick: boolean;
  log: (msg: string) => void;
}

interface Row {
  name: string;
  value: number | string;
  unit: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Registers `name` (taken is fine) and runs `then` on a logged-in ChatClient, then closes it. */
async function withAccount<T>(port: number, name: string, then: (c: ChatClient) => Promise<T>): Promise<T> {
  const c = await ChatClient.connect({ port });
  try {
    try {
      await c.register(name, PASSWORD);
    } catch (err) {
      if (!(err instanceof ServerError && err.code === 'USERNAME_TAKEN')) throw err;
    }
    await c.login(name, PASSWORD);
    return await then(c);
  } finally {
    await c.close();
  }
}

/** `names[0]` creates `group`, the others join it. */
async function makeGroup(port: number, group: string, names: readonly string[]): Promise<void> {
  await withAccount(port, names[0]!, (c) => c.createGroup(group));
  for (let i = 1; i < names.length; i += 20) {
    await Promise.all(names.slice(i, i + 20).map((n) => withAccount(port, n, (c) => c.joinGroup(group))));
  }
}

/** Waits until the server is quiet (under a tenth of a core for half a second): the work a figure left behind is done. */
async function settle(pid: number): Promise<void> {
  const end = Date.now() + 60_000;
  let quiet = 0;
  while (quiet < 2 && Date.now() < end) {
    const c0 = cpuMs(pid);
    await sleep(250);
    quiet = cpuMs(pid) - c0 < 25 ? quiet + 1 : 0;
  }
}

/**
 * Pushes delivered per second while `senders` keep `window` messages each in flight to `group`,
 * and the server's CPU time per push: from the window's start until the server is quiet again, so
 * the Acks and removals the pushes cause are counted even when they finish after the window.
 */
export async function fanOut(pid: number, group: string, senders: GroupClient[], all: GroupClient[], window: number, t: { warmMs: number; runMs: number }) {
  let running = true;
  let seq = 0;
  const sent = senders.map(() => 0);
  const pump = (i: number) => {
    const s = senders[i]!;
    while (running && sent[i]! - s.accepted - s.errors < window) {
      s.send(group, contentFor(seq++, CONTENT));
      sent[i]!++;
    }
  };
  senders.forEach((s, i) => {
    s.onAccepted = () => pump(i);
    pump(i);
  });
  const pushes = () => all.reduce((n, m) => n + m.received, 0);
  const [base, accepted0] = [pushes(), senders.reduce((n, s) => n + s.accepted, 0)];
  await sleep(t.warmMs);
  const [p0, c0, a0, t0] = [pushes(), cpuMs(pid), senders.reduce((n, s) => n + s.accepted, 0), process.hrtime.bigint()];
  await sleep(t.runMs);
  const [p1, a1, t1] = [pushes(), senders.reduce((n, s) => n + s.accepted, 0), process.hrtime.bigint()];
  running = false;
  await until(() => senders.every((s, i) => s.accepted + s.errors >= sent[i]!), 'the last Accepted');
  // Every push read, and the server done with what they caused, before the next figure starts.
  const owed = base + (senders.reduce((n, s) => n + s.accepted, 0) - accepted0) * (all.length - 1);
  await until(() => pushes() >= owed, 'the last pushes');
  await settle(pid);
  const [p2, c2] = [pushes(), cpuMs(pid)];
  const errors = senders.reduce((n, s) => n + s.errors, 0);
  for (const s of senders) s.onAccepted = () => {};
  if (errors > 0) throw new Error(`${errors} group Sends refused`);
  const seconds = Number(t1 - t0) / 1e9;
  return { pushesPerSec: (p1 - p0) / seconds, messagesPerSec: (a1 - a0) / seconds, cpuUsPerPush: ((c2 - c0) * 1000) / (p2 - p0) };
}

/** Send -> the last member's push, in ms, with `senders` sending `rate` messages per second in all. */
export async function lastPush(pid: number, group: string, senders: GroupClient[], all: GroupClient[], rate: number, t: { warmMs: number; runMs: number }) {
  const recipients = all.length - 1;
  const sentAt = new Map<number, bigint>();
  const got = new Map<number, number>();
  const took: number[] = [];
  const warmEnd = process.hrtime.bigint() + BigInt(t.warmMs) * 1_000_000n;
  const onPush = (seq: number) => {
    const n = (got.get(seq) ?? 0) + 1;
    if (n < recipients) {
      got.set(seq, n);
      return;
    }
    got.delete(seq);
    const at = sentAt.get(seq);
    sentAt.delete(seq);
    if (at !== undefined && at > warmEnd) took.push(Number(process.hrtime.bigint() - at) / 1e6);
  };
  for (const m of all) m.onPush = onPush;
  const total = Math.round(((t.warmMs + t.runMs) / 1000) * rate);
  const started = process.hrtime.bigint();
  for (let seq = 0; seq < total; seq++) {
    // On schedule: sleep until this message's time, then send it.
    const due = started + BigInt(Math.round((seq / rate) * 1e9));
    const wait = Number(due - process.hrtime.bigint()) / 1e6;
    if (wait > 1) await sleep(wait);
    sentAt.set(seq, process.hrtime.bigint());
    senders[seq % senders.length]!.send(group, contentFor(seq, CONTENT));
  }
  await until(() => sentAt.size === 0, 'every message at every member', 30_000).catch(() => undefined);
  const lost = sentAt.size;
  await settle(pid);
  for (const m of all) m.onPush = () => {};
  took.sort((a, b) => a - b);
  return { p50: percentile(took, 0.5), p99: percentile(took, 0.99), n: took.length, lost };
}

/** Bytes the database holds in use (pages not on the free list; dbstat's exact count where SQLite has it). */
function dbBytes(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    try {
      return (db.prepare('SELECT sum(pgsize - unused) AS n FROM dbstat').get() as { n: number }).n;
    } catch {
      const pages = (db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number);
      return pages * (db.pragma('page_size', { simple: true }) as number);
    }
  } finally {
    db.close();
  }
}

/** Database bytes per message: `n` messages sent by `sender` to `to` (whose members are all offline). */
async function bytesPerMessage(port: number, file: string, sender: string, to: string, n: number): Promise<number> {
  const c = await groupClient(port, sender);
  try {
    const before = dbBytes(file);
    let sent = 0;
    const pump = () => {
      while (sent < n && sent - c.accepted - c.errors < 256) c.send(to, contentFor(sent++, CONTENT));
    };
    c.onAccepted = pump;
    pump();
    await until(() => c.accepted + c.errors >= n, `${n} messages to ${to}`);
    if (c.errors > 0) throw new Error(`${c.errors} Sends to ${to} refused`);
    // Let the checkpointer settle, so both figures are read the same way.
    await sleep(500);
    return (dbBytes(file) - before) / n;
  } finally {
    c.close();
  }
}

/** Runs the group figures on a fresh server; returns the markdown section. */
export async function groupBench(o: GroupBenchOptions): Promise<string> {
  const T = o.quick ? { warmMs: 500, runMs: 1500 } : { warmMs: 1000, runMs: 4000 };
  const N = o.quick ? 1000 : 5000;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-bench-groups-'));
  const data = path.join(tmp, 'data');
  const port = await freePort();
  const args = ['--port', String(port), '--data', data, '--scrypt-cost', '2', '--log-level', 'warn', '--mailbox-max', '1000000', '--mailbox-max-bytes', String(1 << 30)];
  const child = spawn(process.execPath, ['dist/server/main.js', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const srv = await waitLine(child, /^termchat-server listening on /);
  const pid = srv.child.pid!;
  const rows: Row[] = [];
  const row = (name: string, value: number | string, unit: string) => rows.push({ name, value, unit });
  const clients: GroupClient[] = [];
  try {
    const names = Array.from({ length: MEMBERS }, (_, i) => `gm${i}`);
    o.log(`groups: ${MEMBERS} accounts in #bench`);
    await makeGroup(port, '#bench', names);
    for (const n of names) clients.push(await groupClient(port, n));

    // One-to-one reference, on the same server in the same run.
    let oneToOne = NaN;
    o.log('groups: one-to-one relay (the reference)');
    let cpu0 = 0;
    await relayThroughput(termchatWire, port, 1, 1000, CONTENT, T, {
      start: () => (cpu0 = cpuMs(pid)),
      end: (delivered) => (oneToOne = ((cpuMs(pid) - cpu0) * 1000) / delivered),
    });
    await settle(pid);
    row('Server CPU per one-to-one relayed message (1 pair, pipelined; the reference, same server and run)', oneToOne, 'us/msg');

    const ratios: number[] = [];
    for (const [k, window] of [
      [1, 256],
      [10, 32],
    ] as const) {
      o.log(`groups: fan-out, ${k} sender(s)`);
      const f = await fanOut(pid, '#bench', clients.slice(0, k), clients, window, T);
      const who = k === 1 ? '1 sender' : `${k} senders`;
      row(`Pushes delivered, ${MEMBERS} members online, ${who} (pipelined)`, f.pushesPerSec, 'pushes/s');
      row(`Group messages accepted, ${who}`, f.messagesPerSec, 'msg/s');
      row(`Server CPU per push, ${who}`, f.cpuUsPerPush, 'us/push');
      ratios.push(f.cpuUsPerPush / oneToOne);
      const rate = Math.max(10, Math.min(o.quick ? 100 : 200, Math.floor(f.messagesPerSec / 2)));
      o.log(`groups: latency, ${who} at ${rate} msg/s`);
      const l = await lastPush(pid, '#bench', clients.slice(0, k), clients, rate, T);
      row(`Send -> last member's push at ${rate} msg/s (${rate * (MEMBERS - 1)} pushes/s), ${who}, p50`, l.p50, 'ms');
      row(`Send -> last member's push at ${rate} msg/s, ${who}, p99${l.lost ? ` (${l.lost} not at every member within 30 s)` : ''}`, l.p99, 'ms');
    }

    // Half offline: 50 members connected (one of them the sender), 50 not.
    o.log('groups: half the members offline');
    const half = Array.from({ length: MEMBERS }, (_, i) => `gh${i}`);
    await makeGroup(port, '#half', half);
    const online: GroupClient[] = [];
    for (const n of half.slice(0, MEMBERS / 2)) online.push(await groupClient(port, n));
    const sender = online[0]!;
    let sent = 0;
    const t0 = process.hrtime.bigint();
    const pump = () => {
      while (sent < N && sent - sender.accepted - sender.errors < 256) sender.send('#half', contentFor(sent++, CONTENT));
    };
    sender.onAccepted = pump;
    pump();
    await until(() => sender.accepted + sender.errors >= N, 'the half-offline Sends');
    const queued = N / (Number(process.hrtime.bigint() - t0) / 1e9);
    if (sender.errors > 0) throw new Error(`${sender.errors} Sends to #half refused`);
    row(`Half offline: group messages accepted (pushed to 49 online, queued for 50 offline)`, queued, 'msg/s');
    const readers = await Promise.all(
      half.slice(MEMBERS / 2).map(async (n) => {
        const c = await ChatClient.connect({ port });
        await c.login(n, PASSWORD);
        return c;
      }),
    );
    const t1 = process.hrtime.bigint();
    const drained = await Promise.all(
      readers.map(async (c) => {
        let n = 0;
        for (;;) {
          const { messages, remaining } = await c.fetch(200);
          n += messages.length;
          if (messages.length > 0) await c.ack(messages.at(-1)!.id);
          if (remaining === 0 || messages.length === 0) return n;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - t1) / 1e9;
    const total = drained.reduce((a, b) => a + b, 0);
    await Promise.all(readers.map((c) => c.close()));
    for (const c of online) c.close();
    if (total !== N * readers.length) throw new Error(`the offline members fetched ${total} messages, not ${N * readers.length}`);
    row(`Half offline: the 50 log in and fetch (200 per batch) + ack at once, messages delivered in all`, total / seconds, 'msg/s');
    row(`Half offline: the same, per member`, total / seconds / readers.length, 'msg/s');

    // Bytes per waiting message: groups whose members (but the sender) are all offline.
    o.log('groups: database bytes per message');
    const file = path.join(data, 'termchat.db');
    const ten = Array.from({ length: 10 }, (_, i) => `gb${i}`);
    const hundred = ['gb0', ...Array.from({ length: MEMBERS - 1 }, (_, i) => `gc${i}`)];
    await makeGroup(port, '#b10', ten);
    await makeGroup(port, '#b100', hundred);
    await withAccount(port, 'gr', async () => undefined);
    const b10 = await bytesPerMessage(port, file, 'gb0', '#b10', N);
    const b100 = await bytesPerMessage(port, file, 'gb0', '#b100', N);
    const b1 = await bytesPerMessage(port, file, 'gb0', 'gr', N);
    row(`Database bytes per waiting group message (${CONTENT}-byte content), 10 members`, b10, 'B/msg');
    row(`Database bytes per waiting group message, ${MEMBERS} members`, b100, 'B/msg');
    row(`Database bytes per waiting one-to-one message (reference)`, b1, 'B/msg');

    const cpuTarget = ratios.map((r, i) => `${i === 0 ? '1 sender' : '10 senders'} ${r.toFixed(2)}`).join(', ');
    const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
    const lines = [
      `## Groups: a ${MEMBERS}-member group (\`npm run bench:groups\`)`,
      '',
      `- ${new Date().toISOString()}, ${machine()}, load ${loadAvg()}${o.quick ? '; quick run (short windows)' : ''}.`,
      `- One termchat server (SQLite, as shipped) and every client in one other process; clients read pushes by their header and acknowledge once per read.`,
      `- Target: server CPU per push at most 1/3 of a one-to-one relayed message's in the same run: ${met(ratios.every((r) => r <= 1 / 3))} (push / one-to-one: ${cpuTarget}).`,
      `- Target: database bytes per group message independent of the number of members: ${met(Math.abs(b100 - b10) <= 0.1 * b10)} (10 members ${Math.round(b10)} B, ${MEMBERS} members ${Math.round(b100)} B).`,
      '',
      '| figure | value | unit |',
      '|---|---|---|',
      ...rows.map((r) => `| ${r.name} | ${typeof r.value === 'number' ? (r.value >= 100 ? Math.round(r.value).toLocaleString('en') : r.value.toFixed(2)) : r.value} | ${r.unit} |`),
      '',
    ];
    return lines.join('\n');
  } finally {
    for (const c of clients) c.close();
    await stopChild(srv.child);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.argv.includes('--quick');
  const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} load ${loadAvg()}] ${msg}\n`);
  const md = await groupBench({ quick, log });
  fs.writeFileSync(path.join(ROOT, 'bench', quick ? 'results-groups-quick.md' : 'results-groups.md'), md);
  process.stdout.write(md);
}
