/**
 * The scale-out section of `npm run bench` (also alone: `tsx bench/scaleout.ts`, after `npm run build`):
 * single-node SQLite as the reference next to 1, 2 and 3 termchat-server nodes on one PostgreSQL
 * database, each configuration on a fresh schema (dropped after). With N > 1 nodes every pair's sender
 * and recipient are on different nodes. Figures: relay throughput (every Accepted committed),
 * send -> push latency at 5k and 20k msg/s, CPU per relayed message in the nodes and in PostgreSQL,
 * commits; then a node killed with SIGKILL mid-stream. Each run repeats all of it; cells are the
 * median with the min-max of the runs.
 *
 * Flags: --quick (short windows, one run), --runs N (default 3, quick 1), --no-kill (skip the kill -9
 * figure, which waits for a 15 s lease). Alone, it writes its section into bench/results.md
 * (bench/results-quick.md with --quick), replacing the previous one, and prints it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { content } from '../src/protocol/schema.js';
import { crossNodeDriver, startCluster, STATS_MS, type Cluster } from './lib/cluster.js';
import { loadAvg, ROOT } from './lib/common.js';
import { killNodeFigure, type Failover } from './lib/failover.js';
import { pushLatency, pushLatencyPairs, relayThroughput, type Timing } from './lib/figures.js';
import { freshSchema, pgCpuWindow, pgMissing, xactCommits } from './lib/pgStats.js';
import { cpuMs } from './lib/procStats.js';
import { renderScaleOut, type ConfigFigures } from './lib/scaleReport.js';
import { storeCommits } from './lib/serverStats.js';
import { loginRetries } from './lib/termchatWire.js';

const CONTENT = content.size;

export interface ScaleOutOptions {
  quick: boolean;
  runs: number;
  kill: boolean;
  log: (msg: string) => void;
}

interface Config {
  name: string;
  nodes: number;
  postgres: boolean;
}
export const CONFIGS: Config[] = [
  { name: 'SQLite, 1 node (reference)', nodes: 1, postgres: false },
  { name: 'PostgreSQL, 1 node', nodes: 1, postgres: true },
  { name: 'PostgreSQL, 2 nodes', nodes: 2, postgres: true },
  { name: 'PostgreSQL, 3 nodes', nodes: 3, postgres: true },
];
export const RATES = [5000, 20_000] as const;

function timings(quick: boolean): { thr: Timing; lat: Timing } {
  return quick ? { thr: { warmMs: 500, runMs: 1000 }, lat: { warmMs: 200, runMs: 800 } } : { thr: { warmMs: 1000, runMs: 4000 }, lat: { warmMs: 500, runMs: 3000 } };
}

/** Relay throughput with `pairs` pairs, and what it cost the nodes and PostgreSQL over the same window. */
async function relayWithCosts(cl: Cluster, postgres: boolean, pairs: number, window: number, t: Timing) {
  const pids = cl.nodes.map((n) => n.pid);
  const pgWin = pgCpuWindow(pids);
  let node0 = 0;
  let node1 = 0;
  let from = 0;
  let to = 0;
  let delivered = 0;
  let started: Promise<[void, number]> | undefined;
  let ended: Promise<[{ ours: number; all: number }, number]> | undefined;
  const sumCpu = () => pids.reduce((s, p) => s + cpuMs(p), 0);
  // The clients (this process) share the cores with the nodes and PostgreSQL: their cost too.
  let me0 = process.cpuUsage();
  let meUs = 0;
  const rate = await relayThroughput(crossNodeDriver(cl.nodes), 0, pairs, window, CONTENT, t, {
    start: () => {
      node0 = sumCpu();
      me0 = process.cpuUsage();
      from = Date.now();
      if (postgres) started = Promise.all([pgWin.start(), xactCommits()]);
    },
    end: (n) => {
      node1 = sumCpu();
      const me = process.cpuUsage(me0);
      meUs = me.user + me.system;
      to = Date.now();
      delivered = n;
      if (postgres) ended = Promise.all([pgWin.end(), xactCommits()]);
    },
  });
  const [, x0] = (await started) ?? [undefined, NaN];
  const [pgCpu, x1] = (await ended) ?? [{ ours: NaN, all: NaN }, NaN];
  const secs = (to - from) / 1000;
  const own = cl.nodes.map((n) => storeCommits(n.stats, from, to, STATS_MS));
  const nodeCommits = own.reduce((s, c) => s + c.commits, 0);
  const statsSecs = Math.max(...own.map((c) => c.ms)) / 1000;
  return {
    rate,
    nodeUs: delivered > 0 ? ((node1 - node0) * 1000) / delivered : NaN,
    clientUs: delivered > 0 ? meUs / delivered : NaN,
    pgUs: delivered > 0 ? (pgCpu.ours * 1000) / delivered : NaN,
    pgAllUs: delivered > 0 ? (pgCpu.all * 1000) / delivered : NaN,
    dbCommitsPerSec: (x1 - x0) / secs,
    nodeCommitsPerSec: statsSecs > 0 ? nodeCommits / statsSecs : NaN,
    msgPerNodeCommit: nodeCommits > 0 && statsSecs > 0 ? (rate * statsSecs) / nodeCommits : NaN,
  };
}

/** All figures of one configuration in one run. */
async function runConfig(c: Config, o: ScaleOutOptions): Promise<ConfigFigures> {
  const t = timings(o.quick);
  const schema = c.postgres ? freshSchema() : undefined;
  const out: ConfigFigures = { config: c.name, latency: {} };
  const retriesBefore = loginRetries;
  const cl = await startCluster(schema ? schema.url : 'sqlite', c.nodes);
  try {
    o.log(`${c.name}: relay 1 pair`);
    const one = await relayWithCosts(cl, c.postgres, 1, 1000, t.thr);
    out.thr1 = one.rate;
    o.log(`${c.name}: relay 16 pairs`);
    const many = await relayWithCosts(cl, c.postgres, 16, 256, t.thr);
    Object.assign(out, { thr16: many.rate, nodeUs: many.nodeUs, clientUs: many.clientUs, dbCommitsPerSec: many.dbCommitsPerSec, nodeCommitsPerSec: many.nodeCommitsPerSec, msgPerNodeCommit: many.msgPerNodeCommit });
    if (c.postgres) Object.assign(out, { pgUs: many.pgUs, pgAllUs: many.pgAllUs });
    for (const rate of RATES) {
      const k = `${rate / 1000}k msg/s`;
      // One pair, as in the main table; a rate one pair cannot carry but 16 can is spread over 16 pairs.
      const spread = one.rate < rate * 1.1 && many.rate >= rate * 1.1;
      if (one.rate < rate * 1.1 && !spread) {
        out.latency[rate] = { cannot: `cannot sustain ${k}: its pipelined relay throughput was ${Math.round(one.rate)} msg/s with 1 pair, ${Math.round(many.rate)} with 16` };
        continue;
      }
      o.log(`${c.name}: latency at ${k}${spread ? ' over 16 pairs' : ''}`);
      const d = crossNodeDriver(cl.nodes);
      const l = spread ? await pushLatencyPairs(d, 0, 16, rate, CONTENT, t.lat) : await pushLatency(d, 0, rate, CONTENT, t.lat);
      out.latency[rate] = l.lost > 0 ? { cannot: `${l.lost} messages not delivered within 15 s at ${k}` } : { p50: l.p50, p99: l.p99, pairs: spread ? 16 : 1 };
    }
    if (c.nodes >= 3) {
      // Every node hears every NOTIFY of the schema: what a node pays for messages it neither sends nor receives.
      o.log(`${c.name}: relay between two nodes, the others only listening`);
      const by = cl.nodes.slice(2);
      let c0 = 0;
      let us = NaN;
      const sum = () => by.reduce((x, n) => x + cpuMs(n.pid), 0);
      await relayThroughput(crossNodeDriver(cl.nodes.slice(0, 2)), 0, 16, 256, CONTENT, t.thr, {
        start: () => (c0 = sum()),
        end: (n) => (us = n > 0 ? ((sum() - c0) * 1000) / n / by.length : NaN),
      });
      out.bystanderUs = us;
    }
  } finally {
    await cl.stop();
    await schema?.drop().catch((err: unknown) => o.log(`dropping the schema failed: ${(err as Error).message}`));
    logWarnings(cl, c.name, o);
    if (loginRetries > retriesBefore) o.log(`${c.name}: ${loginRetries - retriesBefore} Login(s) on another node refused right after the account was registered, accepted when repeated`);
    out.loginRetries = loginRetries - retriesBefore;
  }
  return out;
}

/** What the nodes logged at warn level or above: an error under load belongs in the report. */
function logWarnings(cl: Cluster, name: string, o: ScaleOutOptions): void {
  cl.nodes.forEach((n, i) => {
    if (n.warnings.length) o.log(`${name}: node ${i + 1} logged ${n.warnings.length} warning(s)/error(s), e.g. ${n.warnings.slice(0, 3).join(' | ')}`);
  });
}

/** The kill -9 figure: three nodes with the default lease, on a fresh schema. */
async function runKill(o: ScaleOutOptions): Promise<Failover> {
  const schema = freshSchema();
  const cl = await startCluster(schema.url, 3);
  try {
    return await killNodeFigure(cl.nodes, { rate: 2000, burst: 200, beforeMs: o.quick ? 1000 : 3000, afterMs: o.quick ? 500 : 2000, releaseWaitMs: 40_000 });
  } finally {
    await cl.stop();
    await schema.drop().catch(() => undefined);
    logWarnings(cl, 'kill -9', o);
  }
}

/** Runs the section and returns it as Markdown (a "## Scale-out" section). */
export async function scaleOut(o: ScaleOutOptions): Promise<string> {
  const started = new Date();
  const loadStart = loadAvg();
  const missing = await pgMissing();
  const runs: ConfigFigures[][] = [];
  const kills: (Failover | { failed: string })[] = [];
  for (let r = 0; r < o.runs; r++) {
    const figs: ConfigFigures[] = [];
    for (const c of CONFIGS) {
      if (c.postgres && missing !== undefined) {
        figs.push({ config: c.name, latency: {}, failed: `PostgreSQL not reachable (${missing}); start it or set TERMCHAT_BENCH_PG` });
        continue;
      }
      o.log(`scale-out run ${r + 1}/${o.runs}: ${c.name}`);
      try {
        figs.push(await runConfig(c, o));
      } catch (err) {
        o.log(`${c.name} FAILED: ${(err as Error).message}`);
        figs.push({ config: c.name, latency: {}, failed: (err as Error).message.slice(0, 200) });
      }
    }
    runs.push(figs);
    if (o.kill && missing === undefined) {
      o.log(`scale-out run ${r + 1}/${o.runs}: kill -9 of a node (waits for the 15 s lease)`);
      try {
        kills.push(await runKill(o));
      } catch (err) {
        o.log(`kill -9 figure FAILED: ${(err as Error).message}`);
        kills.push({ failed: (err as Error).message.slice(0, 200) });
      }
    }
  }
  return renderScaleOut({ started, loadStart, loadEnd: loadAvg(), quick: o.quick, runs, kills, pgMissing: missing, contentBytes: CONTENT });
}

/** Puts `section` (starting with "## Scale-out") into `file` in place of any previous one, or appends it. */
export function writeSection(file: string, section: string): void {
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const at = old.indexOf('\n## Scale-out');
  let text: string;
  if (at < 0) text = `${old.trimEnd()}\n\n${section}`;
  else {
    const next = old.indexOf('\n## ', at + 1);
    text = `${old.slice(0, at).trimEnd()}\n\n${section.trimEnd()}\n${next < 0 ? '' : `\n${old.slice(next + 1)}`}`;
  }
  fs.writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const runsArg = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : undefined;
  const runs = runsArg && runsArg > 0 ? Math.floor(runsArg) : quick ? 1 : 3;
  const log = (msg: string) => process.stderr.write(`[scale-out ${new Date().toISOString().slice(11, 19)} load ${loadAvg()}] ${msg}\n`);
  if (!fs.existsSync(path.join(ROOT, 'dist/server/main.js'))) throw new Error('dist/server/main.js is missing: run `npm run build` first');
  const md = await scaleOut({ quick, runs, kill: !argv.includes('--no-kill'), log });
  writeSection(path.join(ROOT, 'bench', quick ? 'results-quick.md' : 'results.md'), md);
  process.stdout.write(md);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`scale-out bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
