/**
 * `npm run bench` (and `npm run bench:quick`): termchat side by side with termchat over gRPC, a raw
 * Node TCP relay (the physical limit) and, when installed, an IRC server (ngircd), all measured in
 * this one run on loopback with their own temporary data. Writes bench/results.md and prints it.
 *
 * Flags: --quick (a ~30 s smoke run), --profile (the termchat server runs with --cpu-prof; the
 * profile directory is printed), --only termchat,grpc,raw,irc (a subset of columns),
 * --memory-store (experiment: the same server on a bench-only in-memory store, to show the store's cost).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatClient } from '../src/protocol/client.js';
import { layout } from '../src/protocol/codec.js';
import { HEADER_SIZE } from '../src/protocol/framing.js';
import { connectionRss } from './lib/connections.js';
import { contentFor, loadAvg, machine, rssMiB, ROOT, spawnTs, stopChild } from './lib/common.js';
import { offlineQueue, pushLatency, relayThroughput, requestResponse, wireBytes, type Timing } from './lib/figures.js';
import { GrpcChatClient } from './lib/grpcClient.js';
import { NGIRCD, startNgircd, type Ircd } from './lib/ngircd.js';
import { grpc, ircDriver, ircMaxContent, rawDriver, termchat, type SystemDriver } from './lib/systems.js';
import { WHERE_THE_TIME_GOES } from './lib/notes.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const profile = argv.includes('--profile');
const onlyArg = argv.find((a) => a.startsWith('--only='))?.slice(7) ?? (argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined);
const commitWindow = argv.includes('--memory-store') ? 'memory' : undefined;
const only = new Set((onlyArg ?? 'termchat,grpc,raw,irc').split(','));

const CONTENT = 512; // termchat's content field, filled
const SEND_FRAME = HEADER_SIZE + layout('Send').fixed; // header + Send body: what the raw relay forwards
const T = quick
  ? { thr: { warmMs: 500, runMs: 1000 }, lat: { warmMs: 200, runMs: 800 }, rr: { warmMs: 200, runMs: 600 }, offline: 2000, bytes: 300, conns: [100, 500], connTimeout: 60_000 }
  : { thr: { warmMs: 1000, runMs: 4000 }, lat: { warmMs: 500, runMs: 3000 }, rr: { warmMs: 500, runMs: 3000 }, offline: 20_000, bytes: 2000, conns: [1000, 10_000], connTimeout: 180_000 };

type Col = 'termchat' | 'gRPC' | 'raw' | 'IRC';
const COLS: Col[] = ['termchat', 'gRPC', 'raw', 'IRC'];
type Cell = number | { na: string };
interface Row {
  name: string;
  unit: string;
  better: 'higher' | 'lower' | '';
  digits: number;
  cells: Partial<Record<Col, Cell>>;
}
const rows: Row[] = [];
const notes: string[] = [];
/** A footnote's number (added once). */
function note(text: string): string {
  let i = notes.indexOf(text);
  if (i < 0) i = notes.push(text) - 1;
  return `[${i + 1}]`;
}
function row(name: string, unit: string, better: Row['better'], digits = 0): Row {
  const r: Row = { name, unit, better, digits, cells: {} };
  rows.push(r);
  return r;
}
const na = (reason: string): Cell => ({ na: reason });

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} load ${loadAvg()}] ${msg}\n`);
}

/** Runs a measurement; a failure becomes an n/a cell with the reason instead of ending the run. */
async function measure<X>(what: string, fn: () => Promise<X>): Promise<X | { failed: string }> {
  log(what);
  try {
    return await fn();
  } catch (err) {
    log(`${what} FAILED: ${(err as Error).message}`);
    return { failed: (err as Error).message.slice(0, 160) };
  }
}
const failed = (x: unknown): x is { failed: string } => typeof x === 'object' && x !== null && 'failed' in x;

async function startTermchat(dir: string, withProfile: boolean) {
  const nodeArgs = withProfile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, 'profile')}`] : [];
  const args = [path.join(dir, 'data'), '2', ...(commitWindow === undefined ? [] : [commitWindow])];
  const s = await spawnTs('bench/lib/serverChild.ts', args, /^termchat bench server (\d+) (\d+) (\d+)$/, nodeArgs);
  return { child: s.child, tcp: Number(s.match[1]), grpc: Number(s.match[2]), pid: Number(s.match[3]) };
}

async function startRaw() {
  const s = await spawnTs('bench/rawRelay.ts', ['--frame', String(SEND_FRAME)], /^raw relay listening on (\d+)$/);
  return { child: s.child, port: Number(s.match[1]), pid: s.child.pid! };
}

async function main(): Promise<void> {
  const started = new Date();
  const loadStart = loadAvg();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-bench-'));
  log(`${quick ? 'quick' : 'full'} run in ${tmp}`);
  const tc = await startTermchat(tmp, profile);
  const raw = await startRaw();
  let irc: Ircd | undefined;
  const ircNote = NGIRCD ? undefined : 'ngircd is not installed (apt-get install ngircd), so the IRC column is skipped.';
  if (NGIRCD && only.has('irc')) irc = await startNgircd(fs.mkdtempSync(path.join(tmp, 'irc-')));
  const ircContent = Math.min(CONTENT, ircMaxContent() - 40);

  const systems: { col: Col; driver: SystemDriver; port: () => number; content: number; skip?: string }[] = [
    { col: 'termchat', driver: termchat, port: () => tc.tcp, content: CONTENT },
    { col: 'gRPC', driver: grpc, port: () => tc.grpc, content: CONTENT },
    { col: 'raw', driver: rawDriver(SEND_FRAME), port: () => raw.port, content: CONTENT },
    { col: 'IRC', driver: ircDriver, port: () => irc?.port ?? 0, content: ircContent, skip: irc ? undefined : (ircNote ?? 'not selected (--only)') },
  ];
  const active = systems.filter((s) => only.has(s.col === 'gRPC' ? 'grpc' : s.col.toLowerCase()));
  const each = async (r: Row, fn: (s: (typeof systems)[number]) => Promise<Cell>) => {
    for (const s of systems) {
      if (s.skip) r.cells[s.col] = na(s.skip);
      else if (!active.includes(s)) r.cells[s.col] = na('not selected (--only)');
      else r.cells[s.col] = await fn(s);
    }
  };
  const cellOf = (x: number | undefined | { failed: string }, reason: string): Cell =>
    failed(x) ? na(`failed: ${x.failed}`) : x === undefined ? na(reason) : x;

  try {
    const thr1 = row('Relay throughput, 1 sender -> 1 online recipient, pipelined', 'msg/s', 'higher');
    await each(thr1, async (s) => cellOf(await measure(`${s.col} throughput 1 pair`, () => relayThroughput(s.driver, s.port(), 1, 1000, s.content, T.thr)), ''));
    const thr16 = row('Relay throughput, 16 pairs at once', 'msg/s', 'higher');
    await each(thr16, async (s) => cellOf(await measure(`${s.col} throughput 16 pairs`, () => relayThroughput(s.driver, s.port(), 16, 256, s.content, T.thr)), ''));

    for (const rate of [5000, 20_000]) {
      const k = `${rate / 1000}k`;
      const rs = [row(`Send -> push latency at ${k} msg/s, p50`, 'ms', 'lower', 3), row(`Send -> push latency at ${k} msg/s, p99`, 'ms', 'lower', 3), row(`Send -> push latency at ${k} msg/s, p99.9`, 'ms', 'lower', 3)];
      const results = new Map<Col, Awaited<ReturnType<typeof pushLatency>> | { failed: string }>();
      for (const s of systems) {
        if (s.skip || !active.includes(s)) continue;
        const cap = thr1.cells[s.col];
        if (typeof cap === 'number' && cap < rate * 1.1) {
          results.set(s.col, { failed: `cannot sustain ${k} msg/s: its pipelined relay throughput is ${Math.round(cap)} msg/s, so the queue (and the latency) only grows.` });
          continue;
        }
        results.set(s.col, await measure(`${s.col} latency at ${k}`, () => pushLatency(s.driver, s.port(), rate, s.content, T.lat)));
      }
      for (const [i, r] of rs.entries()) {
        await each(r, async (s) => {
          const x = results.get(s.col)!;
          if (failed(x)) return na(x.failed.startsWith('cannot sustain') ? x.failed : `failed: ${x.failed}`);
          const v = [x.p50, x.p99, x.p999][i]!;
          return x.lost > 0 ? na(`${x.lost} messages not delivered within 15 s at ${k} msg/s (p: ${v.toFixed(1)} ms)`) : v;
        });
      }
    }

    const rr = row('Request/response: sequential Send -> Accepted', 'round trips/s', 'higher');
    await each(rr, async (s) =>
      cellOf(await measure(`${s.col} request/response`, () => requestResponse(s.driver, s.port(), s.content, T.rr)), 'IRC has no per-message acceptance (PRIVMSG is fire-and-forget), so there is no round trip to time.'),
    );

    for (const [label, content] of [
      ['512-byte message', (seq: number) => contentFor(seq, CONTENT)],
      ['"hello"', () => 'hello'],
    ] as const) {
      const up = row(`Bytes on the wire per ${label}, clients -> server (sender + recipient acks)`, 'B/msg', 'lower', 1);
      const down = row(`Bytes on the wire per ${label}, server -> clients (accepted + push)`, 'B/msg', 'lower', 1);
      const got = new Map<Col, { up: number; down: number } | { failed: string }>();
      for (const s of active) {
        if (s.skip) continue;
        const c = s.col === 'IRC' && label.startsWith('512') ? (seq: number) => contentFor(seq, ircContent) : content;
        got.set(s.col, await measure(`${s.col} bytes ${label}`, () => wireBytes(s.driver, s.port(), c, T.bytes)));
      }
      for (const [r, key] of [[up, 'up'], [down, 'down']] as const) {
        await each(r, async (s) => {
          const x = got.get(s.col)!;
          return failed(x) ? na(`failed: ${x.failed}`) : x[key];
        });
      }
    }

    const accept = row('Offline queue: messages accepted durably for an offline recipient (256 in flight)', 'msg/s', 'higher');
    const drain = row('Offline queue: fetch (200 per batch) + ack, sequential', 'msg/s', 'higher');
    const queued = new Map<Col, { accept: number; drain: number } | { failed: string }>();
    for (const s of active) {
      if (s.col === 'termchat') queued.set(s.col, await measure('termchat offline queue', () => offlineQueue(() => ChatClient.connect({ port: tc.tcp }), T.offline, CONTENT)));
      if (s.col === 'gRPC') queued.set(s.col, await measure('gRPC offline queue', () => offlineQueue(() => GrpcChatClient.connect({ port: tc.grpc }), T.offline, CONTENT)));
    }
    for (const [r, key] of [[accept, 'accept'], [drain, 'drain']] as const) {
      await each(r, async (s) => {
        const x = queued.get(s.col);
        if (!x) return na(s.col === 'raw' ? 'The raw relay has no store: an offline recipient simply gets nothing.' : 'IRC has no offline queue: a PRIVMSG to an absent nick is refused (401).');
        return failed(x) ? na(`failed: ${x.failed}`) : x[key];
      });
    }

    const [c1, c2] = T.conns as [number, number];
    const rssIdle = row('Server RSS, no clients (fresh server)', 'MiB', 'lower', 1);
    const rss1 = row(`Server RSS with ${c1.toLocaleString('en')} logged-in idle clients`, 'MiB', 'lower', 1);
    const rss2 = row(`Server RSS with ${c2.toLocaleString('en')} logged-in idle clients`, 'MiB', 'lower', 1);
    const fdLimit = Number(fs.readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(\d+)/)?.[1] ?? 1024);
    const conns = fdLimit > c2 + 200 ? [c1, c2] : [c1];
    const fdNote = `Open-file limit is ${fdLimit} (ulimit -n); Node cannot raise it in-process, so ${c2} clients were skipped. Run \`ulimit -n ${c2 * 2}\` first.`;
    await each(rssIdle, async () => 0);
    const connResults = new Map<Col, Awaited<ReturnType<typeof connectionRss>> | { failed: string }>();
    for (const s of active) {
      if (s.skip) continue;
      const kind = s.col === 'termchat' ? 'termchat' : s.col === 'gRPC' ? 'grpc' : s.col === 'raw' ? 'raw' : 'irc';
      connResults.set(
        s.col,
        await measure(`${s.col} connections ${conns.join(', ')}`, async () => {
          if (kind === 'termchat' || kind === 'grpc') {
            const fresh = await startTermchat(fs.mkdtempSync(path.join(tmp, 'conn-')), false);
            try {
              return await connectionRss(kind, fresh.pid, kind === 'grpc' ? fresh.grpc : fresh.tcp, conns, T.connTimeout);
            } finally {
              await stopChild(fresh.child);
            }
          }
          if (kind === 'raw') {
            const fresh = await startRaw();
            try {
              return await connectionRss('raw', fresh.pid, fresh.port, conns, T.connTimeout);
            } finally {
              await stopChild(fresh.child);
            }
          }
          const fresh = await startNgircd(fs.mkdtempSync(path.join(tmp, 'irc-conn-')));
          try {
            return await connectionRss('irc', fresh.child.pid!, fresh.port, conns, Math.min(T.connTimeout, 60_000));
          } finally {
            await fresh.stop();
          }
        }),
      );
    }
    for (const [r, n] of [[rssIdle, 0], [rss1, c1], [rss2, c2]] as const) {
      await each(r, async (s) => {
        const x = connResults.get(s.col)!;
        if (failed(x)) return na(`failed: ${x.failed}`);
        if (n === 0) return x.baseline;
        const v = x.rss.get(n);
        if (v === undefined) return na(conns.includes(n) ? 'not reached (an earlier step failed)' : fdNote);
        return typeof v === 'string' ? na(v) : v;
      });
    }
    if (tc.child.pid) log(`termchat server RSS after the run: ${rssMiB(tc.pid).toFixed(1)} MiB`);
  } finally {
    await stopChild(tc.child);
    await stopChild(raw.child);
    await irc?.stop();
  }

  const md = render(started, loadStart, loadAvg(), ircContent, profile ? path.join(tmp, 'profile') : undefined);
  const file = commitWindow !== undefined || profile ? 'results-experiment.md' : quick ? 'results-quick.md' : 'results.md';
  fs.writeFileSync(path.join(ROOT, 'bench', file), md);
  process.stdout.write(md);
  if (profile) log(`CPU profile of the termchat server in ${path.join(tmp, 'profile')}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}

function fmt(v: number, digits: number): string {
  return v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function render(started: Date, loadStart: string, loadEnd: string, ircContent: number, profileDir: string | undefined): string {
  const out: string[] = [];
  out.push(`# termchat benchmark${quick ? ' (quick smoke run: short windows, fewer connections)' : ''}`, '');
  out.push(`- Date: ${started.toISOString()}`);
  out.push(`- Machine: ${machine()}`);
  out.push(`- Load average (1/5/15 min) at start: ${loadStart}; at end: ${loadEnd}`);
  out.push(`- Loopback only; every server in its own process with a fresh temporary data directory; clients in the bench process (connections: in a separate load process).`);
  out.push(`- Message: ${CONTENT}-byte content (termchat Send frame ${SEND_FRAME} B, push frame ${SEND_FRAME + 9} B); IRC ${ircContent}-byte content (IRC lines are capped at 512 bytes).`);
  if (profileDir) out.push(`- The termchat server ran with --cpu-prof (slower); profile in ${profileDir}.`);
  if (commitWindow === 'memory') out.push('- EXPERIMENT: the termchat server ran on a bench-only in-memory store (no SQLite, no fsync; NOT durable). Not the shipped configuration.');
  out.push('');
  out.push('| Figure | unit | termchat | termchat over gRPC | raw TCP relay (limit) | IRC (ngircd) | termchat / raw | termchat / gRPC |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const cell = (c: Col) => {
      const v = r.cells[c];
      if (v === undefined) return '';
      return typeof v === 'number' ? fmt(v, r.digits) : `n/a ${note(v.na)}`;
    };
    const ratio = (a: Cell | undefined, b: Cell | undefined) => (typeof a === 'number' && typeof b === 'number' && b !== 0 ? `${(a / b).toFixed(2)}x` : '');
    const arrow = r.better === 'higher' ? ' (higher is better)' : r.better === 'lower' ? ' (lower is better)' : '';
    out.push(`| ${r.name}${arrow} | ${r.unit} | ${COLS.map(cell).join(' | ')} | ${ratio(r.cells.termchat, r.cells.raw)} | ${ratio(r.cells.termchat, r.cells.gRPC)} |`);
  }
  out.push('');
  out.push('## Targets', '');
  const get = (name: string, c: Col) => {
    const v = rows.find((r) => r.name.startsWith(name))?.cells[c];
    return typeof v === 'number' ? v : undefined;
  };
  const t1 = get('Relay throughput, 1 sender', 'termchat');
  const r1 = get('Relay throughput, 1 sender', 'raw');
  const t16 = get('Relay throughput, 16 pairs', 'termchat');
  const r16 = get('Relay throughput, 16 pairs', 'raw');
  const p99 = get('Send -> push latency at 5k msg/s, p99', 'termchat');
  const rrT = get('Request/response', 'termchat');
  const rrR = get('Request/response', 'raw');
  const pct = (a?: number, b?: number) => (a !== undefined && b ? `${((100 * a) / b).toFixed(0)}%` : 'not measured');
  const verdict = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? ' - met' : ' - NOT met');
  out.push(`- Relay throughput >= 70% of the raw limit: 1 pair ${pct(t1, r1)}${verdict(t1 !== undefined && r1 ? t1 / r1 >= 0.7 : undefined)}; 16 pairs ${pct(t16, r16)}${verdict(t16 !== undefined && r16 ? t16 / r16 >= 0.7 : undefined)}.`);
  out.push(`- Send -> push p99 < 1 ms at 5k msg/s: ${p99 === undefined ? 'not measured' : `${p99.toFixed(3)} ms`}${verdict(p99 === undefined ? undefined : p99 < 1)}.`);
  out.push(`- Request/response within 80% of a raw round trip: ${pct(rrT, rrR)}${verdict(rrT !== undefined && rrR ? rrT / rrR >= 0.8 : undefined)}.`);
  out.push('');
  out.push('## Notes', '');
  out.push(
    '- termchat and termchat over gRPC are the same server process (one service, one SQLite store, WAL, synchronous=FULL: every Accepted is after a durable group commit). Recipients acknowledge cumulatively every 256 messages. scrypt cost is lowered (N=2) only so that thousands of accounts can be set up quickly; no figure but setup involves it.',
  );
  out.push(`- The raw relay forwards the sender's ${SEND_FRAME}-byte frames unparsed (no store, no rules) and answers each with 13 bytes; it is what node:net can do on this machine with the same client code, i.e. the ceiling.`);
  out.push('- The bench process (all clients) and the server share the 2 cores, so the client side is part of every figure; the ratios compare like with like.');
  out.push('');
  notes.forEach((n, i) => out.push(`[${i + 1}] ${n}  `));
  out.push('');
  out.push('## Where the time goes', '', WHERE_THE_TIME_GOES, '');
  return out.join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
