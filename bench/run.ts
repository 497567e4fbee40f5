/**
 * `npm run bench` (and `npm run bench:quick`): termchat side by side with termchat over gRPC, a raw
 * Node TCP relay (the physical limit) and, when installed, an IRC server (ngircd) and the brokers
 * Mosquitto (MQTT QoS 1), NATS JetStream and NATS core, all measured in this one run on loopback with
 * their own temporary data. Also the disk's fsync floor, the termchat server's event-loop delay and
 * every server's CPU per relayed message, and the termchat server under the two attacks of issue 8.
 * Then the scale-out section (bench/scaleout.ts: SQLite next to 1, 2 and 3 nodes on PostgreSQL, three
 * runs; one with --quick), and the group section (bench/groups.ts: a 100-member group). Writes
 * bench/results.md and prints it.
 *
 * Flags: --quick (a short smoke run), --profile (the termchat server runs with --cpu-prof; the
 * profile directory is printed), --only termchat,grpc,raw,irc,mosquitto,jetstream,natscore,attacks,scaleout,groups
 * (a subset of columns and sections),
 * --memory-store (experiment: the same server on a bench-only in-memory store, to show the store's cost),
 * --note TEXT (one more line in the results header, e.g. what server version or machine state it was).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatClient } from '../src/protocol/client.js';
import { encode } from '../src/protocol/codec.js';
import { fetchAttack, registerAttack, type AttackResult } from './lib/attacks.js';
import { jetstreamDriver, mqttDriver, MOSQUITTO, natsCoreDriver, natsPinger, NATS_SERVER, startMosquitto, startNats, type Broker } from './lib/brokers.js';
import { connectionRss } from './lib/connections.js';
import { spawn } from 'node:child_process';
import { contentFor, freePort, loadAvg, rssMiB, ROOT, spawnTs, stopChild, waitLine } from './lib/common.js';
import { offlineQueue, pushLatency, relayThroughput, requestResponse, sequentialRoundTrips, wireBytes, type WindowHooks } from './lib/figures.js';
import { GrpcChatClient } from '../src/protocol/grpcClient.js';
import { cpuMs, fsyncFloor } from './lib/procStats.js';
import { collectStats, loopDelayP99 } from './lib/serverStats.js';
import { renderResults, type Cell as ReportCell, type Row as ReportRow } from './lib/report.js';
import { NGIRCD, startNgircd, type Ircd } from './lib/ngircd.js';
import { grpc, ircDriver, ircMaxContent, rawDriver, type SystemDriver } from './lib/systems.js';
import { termchatWire } from './lib/termchatWire.js';
import { content } from '../src/protocol/schema.js';
import { scaleOut } from './scaleout.js';
import { groupBench } from './groups.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const profile = argv.includes('--profile');
const onlyArg = argv.find((a) => a.startsWith('--only='))?.slice(7) ?? (argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined);
const commitWindow = argv.includes('--memory-store') ? 'memory' : undefined;
const runNote = argv.includes('--note') ? argv[argv.indexOf('--note') + 1] : undefined;
const only = new Set((onlyArg ?? 'termchat,grpc,raw,irc,mosquitto,jetstream,natscore,attacks,scaleout,groups').split(','));

const CONTENT = content.size; // termchat's content field, filled
// What the raw relay forwards: termchat's Send frame, built by the codec so it follows the schema.
const SEND_FRAME = encode({ type: 'Send', recipient: 'x', clientId: 0, flags: 0, content: 'x'.repeat(CONTENT) }, 1).length;
const PUSH_FRAME = encode({ type: 'Message', id: 1, sender: 'x', clientId: 0, flags: 0, sentAt: 0, content: 'x'.repeat(CONTENT) }, 0).length;
const STATS_MS = 500; // the termchat server's stats interval (event-loop delay)
const T = quick
  ? { thr: { warmMs: 500, runMs: 1000 }, lat: { warmMs: 200, runMs: 800 }, rr: { warmMs: 200, runMs: 600 }, offline: 2000, bytes: 300, conns: [100, 500], connTimeout: 60_000, attackMs: 4000 }
  : { thr: { warmMs: 1000, runMs: 4000 }, lat: { warmMs: 500, runMs: 3000 }, rr: { warmMs: 500, runMs: 3000 }, offline: 20_000, bytes: 2000, conns: [1000, 10_000], connTimeout: 180_000, attackMs: 12_000 };

type Col = 'termchat' | 'gRPC' | 'raw' | 'IRC' | 'Mosquitto' | 'JetStream' | 'NATS';
const COLS: Col[] = ['termchat', 'gRPC', 'raw', 'IRC', 'Mosquitto', 'JetStream', 'NATS'];
const HEADS: Record<Col, string> = {
  termchat: 'termchat',
  gRPC: 'termchat over gRPC',
  raw: 'raw TCP relay (limit)',
  IRC: 'IRC (ngircd)',
  Mosquitto: 'Mosquitto (MQTT QoS 1)',
  JetStream: 'NATS JetStream',
  NATS: 'NATS core (not durable)',
};
/** The --only name of a column. */
const KEY: Record<Col, string> = { termchat: 'termchat', gRPC: 'grpc', raw: 'raw', IRC: 'irc', Mosquitto: 'mosquitto', JetStream: 'jetstream', NATS: 'natscore' };
type Cell = ReportCell;
type Row = ReportRow<Col>;
const rows: Row[] = [];
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

/** A termchat server child; scrypt cost 2 (fast account setup) unless given (the attacks use the default). */
async function startTermchat(dir: string, withProfile: boolean, scryptCost = 2) {
  const nodeArgs = withProfile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, 'profile')}`] : [];
  // The server as users run it: `termchat-server` from the compiled dist/ (npm run build), plain node.
  const [tcp, grpc] = [await freePort(), await freePort()];
  const args = ['--port', String(tcp), '--grpc-port', String(grpc), '--data', path.join(dir, 'data'), '--scrypt-cost', String(scryptCost)];
  args.push('--store', commitWindow === 'memory' ? 'memory' : 'sqlite', '--stats-interval', String(STATS_MS), '--log-level', 'info');
  // The offline-queue figure queues tens of thousands of messages for one account: above the default cap.
  args.push('--mailbox-max', '1000000', '--mailbox-max-bytes', String(1 << 30));
  // V8's GC trace says what the event loop allocated between collections: the allocation figure.
  const child = spawn(process.execPath, [...nodeArgs, '--trace-gc', '--trace-gc-nvp', 'dist/server/main.js', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const s = await waitLine(child, /^termchat-server gRPC on /);
  const stats = collectStats(s.child);
  const alloc = { bytes: 0 };
  s.child.stdout!.on('data', (d: Buffer) => {
    for (const m of d.toString('latin1').matchAll(/ allocated=(\d+)/g)) alloc.bytes += Number(m[1]);
  });
  return { child: s.child, tcp, grpc, pid: child.pid!, stats, alloc };
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
  const floor = await measure('fsync floor', async () => fsyncFloor(tmp, 200));
  const tc = await startTermchat(tmp, profile);
  const raw = await startRaw();
  let irc: Ircd | undefined;
  const ircNote = NGIRCD ? undefined : 'ngircd is not installed (apt-get install ngircd), so the IRC column is skipped.';
  if (NGIRCD && only.has('irc')) irc = await startNgircd(fs.mkdtempSync(path.join(tmp, 'irc-')));
  const ircContent = Math.min(CONTENT, ircMaxContent() - 40);
  // Each broker in its own process with its own data; a failure to start becomes an n/a column.
  const brokers: Partial<Record<'Mosquitto' | 'JetStream' | 'NATS', Broker | { failed: string }>> = {};
  const brokerRss: Partial<Record<Col, number>> = {};
  if (MOSQUITTO && only.has('mosquitto')) brokers.Mosquitto = await measure('start mosquitto', () => startMosquitto(fs.mkdtempSync(path.join(tmp, 'mosquitto-'))));
  if (NATS_SERVER && only.has('jetstream')) brokers.JetStream = await measure('start nats-server (JetStream)', () => startNats(fs.mkdtempSync(path.join(tmp, 'jetstream-'))));
  if (NATS_SERVER && only.has('natscore')) brokers.NATS = await measure('start nats-server (core)', () => startNats(fs.mkdtempSync(path.join(tmp, 'nats-'))));
  const broker = (c: 'Mosquitto' | 'JetStream' | 'NATS') => {
    const b = brokers[c];
    return b && !failed(b) ? b : undefined;
  };
  for (const c of ['Mosquitto', 'JetStream', 'NATS'] as const) {
    const b = broker(c);
    if (b) brokerRss[c] = rssMiB(b.pid);
  }
  const brokerSkip = (c: 'Mosquitto' | 'JetStream' | 'NATS', bin: string | undefined, pkg: string) => {
    const b = brokers[c];
    if (b && failed(b)) return `${pkg} did not start: ${b.failed}`;
    if (!bin) return `${pkg} is not installed (apt-get install ${pkg}), so this column is skipped.`;
    return b ? undefined : 'not selected (--only)';
  };

  const systems: { col: Col; driver: SystemDriver; port: () => number; pid: () => number; content: number; skip?: string }[] = [
    { col: 'termchat', driver: termchatWire, port: () => tc.tcp, pid: () => tc.pid, content: CONTENT },
    { col: 'gRPC', driver: grpc, port: () => tc.grpc, pid: () => tc.pid, content: CONTENT },
    { col: 'raw', driver: rawDriver(SEND_FRAME), port: () => raw.port, pid: () => raw.pid, content: CONTENT },
    { col: 'IRC', driver: ircDriver, port: () => irc?.port ?? 0, pid: () => irc?.child.pid ?? 0, content: ircContent, skip: irc ? undefined : (ircNote ?? 'not selected (--only)') },
    { col: 'Mosquitto', driver: mqttDriver, port: () => broker('Mosquitto')?.port ?? 0, pid: () => broker('Mosquitto')?.pid ?? 0, content: CONTENT, skip: brokerSkip('Mosquitto', MOSQUITTO, 'mosquitto') },
    { col: 'JetStream', driver: jetstreamDriver, port: () => broker('JetStream')?.port ?? 0, pid: () => broker('JetStream')?.pid ?? 0, content: CONTENT, skip: brokerSkip('JetStream', NATS_SERVER, 'nats-server') },
    { col: 'NATS', driver: natsCoreDriver, port: () => broker('NATS')?.port ?? 0, pid: () => broker('NATS')?.pid ?? 0, content: CONTENT, skip: brokerSkip('NATS', NATS_SERVER, 'nats-server') },
  ];
  const active = systems.filter((s) => only.has(KEY[s.col]) && !s.skip);
  const each = async (r: Row, fn: (s: (typeof systems)[number]) => Promise<Cell | undefined>) => {
    for (const s of systems) {
      if (s.skip) r.cells[s.col] = na(s.skip);
      else if (!active.includes(s)) r.cells[s.col] = na('not selected (--only)');
      else r.cells[s.col] = await fn(s);
    }
  };
  const cellOf = (x: number | undefined | { failed: string }, reason: string): Cell =>
    failed(x) ? na(`failed: ${x.failed}`) : x === undefined ? na(reason) : x;
  const isBroker = (c: Col) => c === 'Mosquitto' || c === 'JetStream' || c === 'NATS';

  try {
    const fs50 = row('fsync floor: one 512-byte append + fdatasync in the bench temp dir, p50 (a property of the disk, shown in the limit column)', 'ms', 'lower', 3);
    const fs99 = row('fsync floor: one 512-byte append + fdatasync, p99', 'ms', 'lower', 3);
    fs50.cells.raw = cellOf(failed(floor) ? floor : floor.p50, '');
    fs99.cells.raw = cellOf(failed(floor) ? floor : floor.p99, '');

    // Relay throughput, with each server's CPU time over the same window and termchat's event-loop delay.
    const cpuRows: Row[] = [];
    const loopRows: Row[] = [];
    const allocRow = row('Bytes allocated on the server\'s event loop per relayed message, 1 pair (V8 GC trace)', 'B/msg', 'lower', 0);
    for (const [pairs, window, label] of [
      [1, 1000, '1 sender -> 1 online recipient, pipelined'],
      [16, 256, '16 pairs at once'],
    ] as const) {
      const thr = row(`Relay throughput, ${label}`, 'msg/s', 'higher');
      const cpu = row(`Server CPU per relayed message (user + system, /proc), ${pairs === 1 ? '1 pair' : '16 pairs'}`, 'us/msg', 'lower', 2);
      const loop = row(`termchat server event-loop delay p99 under the relay load, ${pairs === 1 ? '1 pair' : '16 pairs'} (worst ${STATS_MS} ms interval)`, 'ms', 'lower', 2);
      cpuRows.push(cpu);
      loopRows.push(loop);
      await each(thr, async (s) => {
        let cpu0 = 0;
        let from = 0;
        let alloc0 = 0;
        let perMsg: Cell = na('not measured');
        let to = 0;
        const hooks: WindowHooks = {
          start: () => {
            cpu0 = cpuMs(s.pid());
            from = Date.now();
            alloc0 = tc.alloc.bytes;
          },
          end: (delivered) => {
            to = Date.now();
            if (s.col === 'termchat' && pairs === 1 && delivered > 0) allocRow.cells.termchat = (tc.alloc.bytes - alloc0) / delivered;
            perMsg = delivered > 0 ? ((cpuMs(s.pid()) - cpu0) * 1000) / delivered : na('nothing delivered');
          },
        };
        const v = await measure(`${s.col} throughput ${pairs} pair(s)`, () => relayThroughput(s.driver, s.port(), pairs, window, s.content, T.thr, hooks));
        cpu.cells[s.col] = failed(v) ? na(`failed: ${v.failed}`) : perMsg;
        if (s.col === 'termchat') {
          const d = failed(v) ? undefined : loopDelayP99(tc.stats, from, to, STATS_MS);
          loop.cells.termchat = d ?? na(failed(v) ? `failed: ${v.failed}` : 'no stats line from the server during the window');
        }
        return cellOf(v, '');
      });
      loop.cells.gRPC = na('The termchat server reports event-loop delay itself (statsIntervalMs); the other systems do not, and gRPC is the same process.');
    }
    // Keep the throughput rows together, then CPU, allocation, then event-loop delay.
    for (const r of [...cpuRows, allocRow, ...loopRows]) rows.push(rows.splice(rows.indexOf(r), 1)[0]!);
    const thr1 = rows.find((r) => r.name.startsWith('Relay throughput, 1 sender'))!;
    const rssAfter = row('Server RSS after the relay runs', 'MiB', 'lower', 1);
    await each(rssAfter, async (s) => rssMiB(s.pid()));
    rssAfter.cells.gRPC = na('Same process as termchat.');

    for (const rate of [5000, 20_000]) {
      const k = `${rate / 1000}k`;
      const rs = [row(`Send -> push latency at ${k} msg/s, p50`, 'ms', 'lower', 3), row(`Send -> push latency at ${k} msg/s, p99`, 'ms', 'lower', 3), row(`Send -> push latency at ${k} msg/s, p99.9`, 'ms', 'lower', 3)];
      const results = new Map<Col, Awaited<ReturnType<typeof pushLatency>> | { failed: string }>();
      for (const s of active) {
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

    const rr = row('Request/response: sequential Send -> Accepted (brokers: publish -> PUBACK / PubAck)', 'round trips/s', 'higher');
    await each(rr, async (s) =>
      cellOf(
        await measure(`${s.col} request/response`, () => requestResponse(s.driver, s.port(), s.content, T.rr)),
        s.col === 'IRC' ? 'IRC has no per-message acceptance (PRIVMSG is fire-and-forget), so there is no round trip to time.' : 'NATS core publish has no acknowledgement (fire-and-forget), so there is no round trip to time.',
      ),
    );
    const ping = row(`Request/response: sequential Ping -> Pong (raw: its ${SEND_FRAME}-byte frame round trip again, the reference; NATS: PING/PONG)`, 'round trips/s', 'higher');
    await each(ping, async (s) => {
      const withClient = async <C extends { ping(): Promise<unknown>; close(): unknown }>(c: C) => {
        try {
          return await sequentialRoundTrips(() => c.ping(), T.rr);
        } finally {
          await c.close();
        }
      };
      if (s.col === 'termchat') return cellOf(await measure('termchat ping', async () => withClient(await ChatClient.connect({ port: tc.tcp }))), '');
      if (s.col === 'gRPC') return cellOf(await measure('gRPC ping', async () => withClient(await GrpcChatClient.connect({ port: tc.grpc }))), '');
      if (s.col === 'NATS') return cellOf(await measure('NATS ping', async () => withClient(await natsPinger(s.port()))), '');
      // Measured again right here, so that the reference shares the moment (and the noise) of termchat's Ping.
      if (s.col === 'raw') return cellOf(await measure('raw round trip (Ping reference)', () => requestResponse(s.driver, s.port(), s.content, T.rr)), '');
      if (s.col === 'JetStream') return na('Same server software as NATS core (PING/PONG does not touch JetStream); see that column.');
      if (s.col === 'Mosquitto') return na('mqtt.js does not expose MQTT PINGREQ as a request to time.');
      return na('Not measured for IRC.');
    });

    for (const [label, content] of [
      ['512-byte message', (seq: number) => contentFor(seq, CONTENT)],
      ['"hello"', () => 'hello'],
    ] as const) {
      const up = row(`Bytes on the wire per ${label}, clients -> server (sender + recipient acks)`, 'B/msg', 'lower', 1);
      const down = row(`Bytes on the wire per ${label}, server -> clients (accepted + push)`, 'B/msg', 'lower', 1);
      const got = new Map<Col, { up: number; down: number } | { failed: string }>();
      for (const s of active) {
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
        if (!x) {
          if (s.col === 'raw') return na('The raw relay has no store: an offline recipient simply gets nothing.');
          if (s.col === 'IRC') return na('IRC has no offline queue: a PRIVMSG to an absent nick is refused (401).');
          return na('Not measured for the brokers (they queue for a persistent session or a stream, but this figure uses termchat\'s fetch + ack API).');
        }
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
    const connResults = new Map<Col, Awaited<ReturnType<typeof connectionRss>> | { failed: string }>();
    for (const s of active) {
      if (isBroker(s.col)) continue;
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
        if (isBroker(s.col)) {
          if (n === 0) return brokerRss[s.col] ?? na('not measured');
          return na('Idle-connection RSS is not measured for the brokers (the load process speaks termchat, gRPC, raw and IRC only).');
        }
        const x = connResults.get(s.col)!;
        if (failed(x)) return na(`failed: ${x.failed}`);
        if (n === 0) return x.baseline;
        const v = x.rss.get(n);
        if (v === undefined) return na(conns.includes(n) ? 'not reached (an earlier step failed)' : fdNote);
        return typeof v === 'string' ? na(v) : v;
      });
    }
    if (tc.child.pid) log(`termchat server RSS after the run: ${rssMiB(tc.pid).toFixed(1)} MiB`);

    if (only.has('attacks') && only.has('termchat')) await attacks(tmp);
  } finally {
    await stopChild(tc.child);
    await stopChild(raw.child);
    await irc?.stop();
    for (const b of Object.values(brokers)) if (!failed(b)) await b.stop();
  }

  const md = renderResults({
    title: `termchat benchmark${quick ? ' (quick smoke run: short windows, fewer connections)' : ''}`,
    started,
    loadStart,
    loadEnd: loadAvg(),
    header: [
      `- Message: ${CONTENT}-byte content (termchat Send frame ${SEND_FRAME} B, push frame ${PUSH_FRAME} B; MQTT and NATS payload ${CONTENT} B); IRC ${ircContent}-byte content (IRC lines are capped at 512 bytes).`,
      ...(runNote ? [`- Note: ${runNote}`] : []),
      `- fsync floor of the temp dir's disk, this run: ${failed(floor) ? 'not measured' : `p50 ${floor.p50.toFixed(3)} ms, p99 ${floor.p99.toFixed(3)} ms over ${floor.n} appends + fdatasync`}.`,
      ...(profile ? [`- The termchat server ran with --cpu-prof (slower); profile in ${path.join(tmp, 'profile')}.`] : []),
      ...(commitWindow === 'memory'
        ? ['- EXPERIMENT: the termchat server ran on the in-memory store (no SQLite, no fsync; NOT durable). Not the shipped configuration.']
        : []),
    ],
    cols: COLS.map((c) => ({ key: c, head: HEADS[c] })),
    rows,
    fsyncP50: failed(floor) ? undefined : floor.p50,
    sendFrame: SEND_FRAME,
    statsMs: STATS_MS,
  });
  // The scale-out section runs after every server above has stopped, so nothing else shares the cores.
  const scale = only.has('scaleout') && commitWindow === undefined && !profile ? await scaleOut({ quick, runs: quick ? 1 : 3, kill: true, log }) : undefined;
  // Then the group section, on a server of its own.
  const groupsRun = only.has('groups') && commitWindow === undefined && !profile ? await measure('groups', () => groupBench({ quick, log })) : undefined;
  const groups = groupsRun === undefined ? undefined : failed(groupsRun) ? `## Groups\n\nThe group figures failed: ${groupsRun.failed}\n` : groupsRun;
  const all = [md, scale, groups].filter((x) => x !== undefined).map((x) => x.trimEnd()).join('\n\n') + '\n';
  const file = commitWindow !== undefined || profile ? 'results-experiment.md' : quick ? 'results-quick.md' : 'results.md';
  fs.writeFileSync(path.join(ROOT, 'bench', file), all);
  process.stdout.write(all);
  if (profile) log(`CPU profile of the termchat server in ${path.join(tmp, 'profile')}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}

/** The attacks (issue 8, and the 8-connection Fetch attack of issue 17), each against a fresh termchat server with the default scrypt cost. */
async function attacks(tmp: string): Promise<void> {
  const kinds = [
    ['Fetch attack (a logged-in client with 200 queued messages writes 5,000 FetchUndelivered(200) in one write, never reads)', fetchAttack],
    [
      'Fetch attack from 8 connections (8 logged-in clients, 200 queued messages each, each write 5,000 FetchUndelivered(200) in one write, never read)',
      (port: number, pid: number, ms: number) => fetchAttack(port, pid, ms, 5000, 8),
    ],
    ['Register attack (one unauthenticated connection pipelines 1,000 Register for a taken name in one write)', registerAttack],
  ] as const;
  for (const [label, run] of kinds) {
    const short = label.slice(0, label.indexOf(' ('));
    const rows4 = [row(`${label}: server RSS before`, 'MiB', 'lower', 1), row(`${short}: server RSS peak`, 'MiB', 'lower', 1), row(`${short}: another client's Login, worst sample`, 'ms', 'lower', 1), row(`${short}: another client's Send -> Accepted, worst sample`, 'ms', 'lower', 1)];
    const r = await measure(short, async (): Promise<AttackResult> => {
      const fresh = await startTermchat(fs.mkdtempSync(path.join(tmp, 'attack-')), false, 16384);
      try {
        return await run(fresh.tcp, fresh.pid, T.attackMs);
      } finally {
        await stopChild(fresh.child);
      }
    });
    const vals = failed(r) ? undefined : [r.rssBefore, r.rssPeak, r.loginMaxMs, r.sendMaxMs];
    rows4.forEach((x, i) => (x.cells.termchat = vals ? vals[i]! : na(`failed: ${(r as { failed: string }).failed}`)));
    if (!failed(r)) log(`${short}: ${r.samples} samples of the other client over ${T.attackMs} ms`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
