/**
 * The "Scale-out" section of bench/results.md: one row per configuration, one column per figure (the
 * median of the runs with their min-max), the ratios to SQLite within each run, the kill -9 figure,
 * the targets of the scale-out issue and the notes.
 */
import type { Failover } from './failover.js';
import { WHAT_LIMITS_SCALE_OUT } from './scaleNotes.js';

/** The figures of one configuration in one run (undefined: not measured). */
export interface ConfigFigures {
  config: string;
  thr1?: number;
  thr16?: number;
  latency: Partial<Record<number, { p50: number; p99: number; pairs: number } | { cannot: string }>>;
  nodeUs?: number;
  pgUs?: number;
  pgAllUs?: number;
  /** Logins refused on a node that had not heard of an account registered on another a moment before (repeated until accepted). */
  loginRetries?: number;
  /** CPU per message of the bench process (all the clients). */
  clientUs?: number;
  /** CPU per message of a node that neither sends nor receives it (it only hears the NOTIFY). */
  bystanderUs?: number;
  dbCommitsPerSec?: number;
  nodeCommitsPerSec?: number;
  msgPerNodeCommit?: number;
  failed?: string;
}

export interface ScaleOutResults {
  started: Date;
  loadStart: string;
  loadEnd: string;
  quick: boolean;
  runs: ConfigFigures[][];
  kills: (Failover | { failed: string })[];
  pgMissing: string | undefined;
  contentBytes: number;
}

const fmt = (v: number, digits: number) => v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const finite = (xs: (number | undefined)[]) => xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));

/** "median (min-max)" of the runs' values, or the first reason none was measured. */
function spread(xs: (number | undefined)[], digits: number, why: () => string): string {
  const v = finite(xs);
  if (v.length === 0) return `n/a (${why()})`;
  if (v.length === 1) return fmt(v[0]!, digits);
  return `${fmt(median(v), digits)} (${fmt(Math.min(...v), digits)}-${fmt(Math.max(...v), digits)})`;
}

const failedKill = (k: Failover | { failed: string }): k is { failed: string } => 'failed' in k;

/** The section as Markdown. */
export function renderScaleOut(r: ScaleOutResults): string {
  const out: string[] = [];
  const configs = r.runs[0]?.map((f) => f.config) ?? [];
  const of = (config: string) => r.runs.map((run) => run.find((f) => f.config === config)!);
  const why = (fs: ConfigFigures[]) => () => fs.find((f) => f.failed)?.failed ?? 'not measured';
  out.push(`## Scale-out${r.quick ? ' (quick smoke run)' : ''}`, '');
  out.push(`- Date: ${r.started.toISOString()}; ${r.runs.length} run(s) in a row; load average at start ${r.loadStart}, at end ${r.loadEnd}.`);
  out.push(
    `- Each configuration is started afresh (its nodes are the compiled \`termchat-server\`, plain node; PostgreSQL configurations on a schema of their own, dropped after). With 2 or 3 nodes, pair i's sender is on node i % N and its recipient on node (i + 1) % N, so every message crosses nodes; with 1 node both are on it. ${r.contentBytes}-byte content, the lean wire client of the main table.`,
  );
  out.push(`- Cells: the median of the runs, with the min-max in parentheses; the machine is shared and noisy, so compare the ratios within one run (below the table).`);
  if (r.pgMissing) out.push(`- PostgreSQL was not reachable (${r.pgMissing}), so only the SQLite row was measured.`);
  out.push('');
  const cols: [string, (f: ConfigFigures) => number | undefined, number][] = [
    ['Relay, 1 pair (msg/s)', (f) => f.thr1, 0],
    ['Relay, 16 pairs (msg/s)', (f) => f.thr16, 0],
    ['5k msg/s: p50 (ms)', (f) => lat(f, 5000, 'p50'), 2],
    ['5k msg/s: p99 (ms)', (f) => lat(f, 5000, 'p99'), 2],
    ['20k msg/s: p50 (ms)', (f) => lat(f, 20_000, 'p50'), 2],
    ['20k msg/s: p99 (ms)', (f) => lat(f, 20_000, 'p99'), 2],
    ['Node CPU, all nodes (us/msg)', (f) => f.nodeUs, 1],
    ['PostgreSQL CPU (us/msg)', (f) => f.pgUs, 1],
    ['A node not in the pair (us/msg)', (f) => f.bystanderUs, 1],
    ['Clients, the bench process (us/msg)', (f) => f.clientUs, 1],
    ['Node commits/s', (f) => f.nodeCommitsPerSec, 0],
    ['Messages per node commit', (f) => f.msgPerNodeCommit, 1],
    ['Database commits/s (all clients)', (f) => f.dbCommitsPerSec, 0],
  ];
  out.push(`| Configuration | ${cols.map((c) => c[0]).join(' | ')} |`);
  out.push(`|---|${cols.map(() => '---:|').join('')}`);
  for (const config of configs) {
    const fs = of(config);
    const cells = cols.map(([head, get, digits]) => {
      const vals = fs.map(get);
      const latRate = head.startsWith('5k') ? 5000 : head.startsWith('20k') ? 20_000 : undefined;
      const reason = () => {
        if (latRate !== undefined) {
          const cannot = fs.filter((f) => { const x = f.latency[latRate]; return x !== undefined && 'cannot' in x; });
          if (cannot.length === fs.length && cannot.every((f) => f.thr1 !== undefined && f.thr16 !== undefined)) {
            const best = (xs: number[]) => Math.round(Math.max(...xs)).toLocaleString('en');
            return `cannot sustain ${latRate / 1000}k msg/s in any run: the pipelined relay throughput was at most ${best(cannot.map((f) => f.thr1!))} msg/s with 1 pair, ${best(cannot.map((f) => f.thr16!))} with 16`;
          }
          const c = cannot[0]?.latency[latRate];
          if (c && 'cannot' in c) return c.cannot;
        }
        if (head.startsWith('PostgreSQL') && !config.startsWith('PostgreSQL')) return 'no PostgreSQL';
        if (head.startsWith('Database') && !config.startsWith('PostgreSQL')) return 'no PostgreSQL';
        if (head.startsWith('A node not')) return 'measured with 3 nodes';
        return why(fs)();
      };
      const s = spread(vals, digits, reason);
      // Some runs sustained a rate and some did not: say so next to the figure.
      const at = (f: ConfigFigures) => (latRate === undefined ? undefined : f.latency[latRate]);
      const cannot = fs.filter((f) => { const x = at(f); return x !== undefined && 'cannot' in x; }).length;
      const spreadOver = fs.filter((f) => { const x = at(f); return x !== undefined && 'pairs' in x && x.pairs > 1; }).length;
      const notes = [
        ...(cannot > 0 && finite(vals).length > 0 ? [`${cannot} of ${fs.length} runs could not sustain it`] : []),
        ...(spreadOver > 0 ? [`over 16 pairs in ${spreadOver} of ${fs.length} runs`] : []),
      ];
      return notes.length ? `${s}; ${notes.join('; ')}` : s;
    });
    out.push(`| ${config} | ${cells.join(' | ')} |`);
  }
  out.push('');
  // Ratios to the SQLite reference within each run.
  const ref = configs[0];
  if (ref) {
    out.push('Ratios to the SQLite node within the same run (16-pair relay throughput; node CPU per message), one value per run:', '');
    for (const config of configs.slice(1)) {
      const t = r.runs.map((run) => {
        const a = run.find((f) => f.config === config)?.thr16;
        const b = run.find((f) => f.config === ref)?.thr16;
        return a && b ? `${(a / b).toFixed(2)}x` : 'n/a';
      });
      const c = r.runs.map((run) => {
        const a = run.find((f) => f.config === config)?.nodeUs;
        const b = run.find((f) => f.config === ref)?.nodeUs;
        return a && b ? `${(a / b).toFixed(2)}x` : 'n/a';
      });
      out.push(`- ${config}: throughput ${t.join(', ')}; node CPU ${c.join(', ')}`);
    }
    const every = configs.filter((c) => c.startsWith('PostgreSQL')).map((c) => `${c}: ${spread(of(c).map((f) => f.pgAllUs), 1, () => 'n/a')}`);
    if (every.length) out.push(`- Every postgres process, other clients' backends included (us/msg, the PostgreSQL column's cross-check): ${every.join('; ')}`);
    out.push('');
  }

  const retries = r.runs.flat().reduce((n, f) => n + (f.loginRetries ?? 0), 0);
  if (retries > 0) {
    out.push(
      `Seen meanwhile: ${retries} Login(s) on one node, moments after the account was registered on another, were refused "wrong username or password" and accepted when repeated (the bench repeats them for up to 5 s): the node had not yet heard of the account.`,
      '',
    );
  }
  out.push('### Node kill -9 (3 nodes, default 15 s lease)', '');
  if (r.kills.length === 0) out.push('Not measured (--no-kill, or PostgreSQL not reachable).', '');
  else {
    out.push('| Run | Sender back, logged in on another node (s) | Killed node\'s session released, heard by a watcher on a third node (s) | Sent | Accepted | In flight at the kill, resent with RESEND | Accepted but never delivered | Delivered with another id than Accepted |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
    r.kills.forEach((k, i) => {
      if (failedKill(k)) out.push(`| ${i + 1} | failed: ${k.failed} | | | | | | |`);
      else out.push(`| ${i + 1} | ${fmt(k.backMs / 1000, 3)} | ${k.releasedMs === undefined ? 'not within 40 s' : fmt(k.releasedMs / 1000, 1)} | ${k.sent} | ${k.accepted} | ${k.resent} | ${k.lost} | ${k.idMismatch} |`);
    });
    out.push('');
  }

  out.push('### Targets (scale-out issues 12 and 19)', '');
  out.push(...scaleTargets(r));
  out.push('');
  out.push('### Notes', '');
  out.push(
    '- Relay throughput: as in the main table (pipelined windows: 1,000 in flight for 1 pair, 256 per pair for 16 pairs), every message is answered Accepted only after its commit; across nodes a push can only follow the commit (the message travels in the NOTIFY of the transaction that stored it), so every message is committed before anyone sees it. On one node (SQLite or PostgreSQL) the service pushes before the commit and a message acknowledged within --ack-wait-ms (2 ms) is never written (Accepted then means "delivered and acknowledged"), as shipped.',
  );
  out.push('- Latency: one pair at a fixed offered rate, measured by the recipient (same process as the sender, so one clock). When one pair\'s pipelined relay throughput in the same run was below 1.1x the rate but the 16 pairs\' was not, the rate is spread evenly over 16 pairs (said in the cell); "cannot sustain" when both were below.');
  out.push(
    "- CPU per relayed message, over the 16-pair relay window: node = utime + stime of every termchat-server process (/proc); PostgreSQL = the backends serving those nodes (found by their client ports) plus PostgreSQL's shared processes (postmaster, WAL writer, checkpointer, background writer, autovacuum), from /proc; other clients' backends are left out (the machine runs other work on the same PostgreSQL); clients = this bench process (all the lean clients, and its few statistics queries), which shares the same 2 cores. A node not in the pair: with 3 nodes, a further 16-pair relay between nodes 1 and 2 only; the CPU per message of node 3, which only hears the NOTIFYs (every node listens on the schema's one channel). Node commits: the nodes' own stats lines (store transactions); database commits: pg_stat_database.xact_commit of the whole database, other clients included.",
  );
  out.push(
    "- Kill -9: three nodes with the default lease (15 s, renewed every 5 s). A sender on node 1 streams 2,000 msg/s (64-byte content, ChatClient, a clientId each) to a recipient on node 2 that acknowledges every 20 ms; a burst of 200 Sends is written just before node 1 gets SIGKILL, so Sends are in flight (perhaps committed, unanswered). The sender's client then connects to the next node, logs in (this takes its session over) and resends every unanswered Send with the RESEND flag and the same clientId, then streams on. A second account logged in on node 1 stays away: its release is what a watcher on node 3 hears (PresenceChanged offline). At the end the recipient fetches whatever was not pushed live; every Accepted clientId must have arrived with the id its sender was told.",
  );
  out.push('');
  out.push(WHAT_LIMITS_SCALE_OUT, '');
  return out.join('\n');
}

function lat(f: ConfigFigures, rate: number, p: 'p50' | 'p99'): number | undefined {
  const x = f.latency[rate];
  return x && !('cannot' in x) ? x[p] : undefined;
}

/** Met / NOT met for the scale-out targets, on the 3-node configuration's figures (every run). */
function scaleTargets(r: ScaleOutResults): string[] {
  const three = r.runs.map((run) => run.find((f) => f.config.startsWith('PostgreSQL, 3 nodes')));
  const vals = (get: (f: ConfigFigures) => number | undefined) => finite(three.map((f) => (f ? get(f) : undefined)));
  const range = (v: number[], d: number, unit: string) => (v.length === 0 ? 'n/a' : v.length === 1 ? `${fmt(v[0]!, d)} ${unit}` : `${fmt(Math.min(...v), d)}-${fmt(Math.max(...v), d)} ${unit} over ${v.length} runs`);
  const verdict = (v: number[], ok: (x: number) => boolean, n: number) =>
    v.length === 0 ? ' - not measured' : v.every(ok) && v.length === n ? ' - met' : v.some(ok) ? ` - met in ${v.filter(ok).length} of ${n} runs` : ' - NOT met';
  const n = r.runs.length;
  const out: string[] = [];
  const thr = vals((f) => f.thr16);
  out.push(`- 3 nodes, cross-node relay >= 20k msg/s with every Accepted committed (16 pairs): ${range(thr, 0, 'msg/s')}${verdict(thr, (x) => x >= 20_000, n)}.`);
  const p20 = vals((f) => lat(f, 20_000, 'p99'));
  const cannot20 = three.filter((f) => { const x = f?.latency[20_000]; return x !== undefined && 'cannot' in x; }).length;
  const why20 = cannot20 > 0 ? `cannot sustain the rate in ${cannot20} of ${n} runs (see the table)` : 'n/a';
  out.push(`- 3 nodes, p99 < 15 ms at 20k msg/s: ${p20.length ? range(p20, 2, 'ms') : why20}${p20.length ? verdict(p20, (x) => x < 15, n) : cannot20 > 0 ? ' - NOT met' : ' - not measured'}.`);
  const p5 = vals((f) => lat(f, 5000, 'p99'));
  out.push(`- 3 nodes, p99 < 5 ms at 5k msg/s: ${range(p5, 2, 'ms')}${verdict(p5, (x) => x < 5, n)}.`);
  // Issue 19's ratios, each within one run (the machine's speed drifts between runs).
  const ratio = (a: string, b: string, get: (f: ConfigFigures) => number | undefined) =>
    finite(
      r.runs.map((run) => {
        const x = run.find((f) => f.config.startsWith(a));
        const y = run.find((f) => f.config.startsWith(b));
        const xa = x && get(x);
        const yb = y && get(y);
        return xa !== undefined && yb !== undefined && yb > 0 ? xa / yb : undefined;
      }),
    );
  const pgX = ratio('PostgreSQL, 3 nodes', 'PostgreSQL, 1 node', (f) => f.pgUs);
  out.push(`- PostgreSQL CPU per cross-node message <= 1.5x the one-node figure: ${range(pgX, 2, 'x')}${verdict(pgX, (x) => x <= 1.5, n)}.`);
  const thrX = ratio('PostgreSQL, 3 nodes', 'SQLite, 1 node', (f) => f.thr16);
  out.push(`- 3 nodes cross-node relay (16 pairs) >= 60% of one SQLite node: ${range(thrX.map((x) => 100 * x), 0, '%')}${verdict(thrX, (x) => x >= 0.6, n)}.`);
  const latX = ratio('PostgreSQL, 3 nodes', 'SQLite, 1 node', (f) => lat(f, 5000, 'p99'));
  out.push(`- 3 nodes cross-node p99 at 5k msg/s <= 3x one SQLite node's: ${range(latX, 1, 'x')}${verdict(latX, (x) => x <= 3, n)}.`);
  const ks = r.kills.filter((k): k is Failover => !failedKill(k));
  if (ks.length === 0) out.push('- Node kill -9: not measured.');
  else {
    const rel = ks.map((k) => k.releasedMs);
    const relOk = rel.every((x) => x !== undefined && x <= 30_000);
    const relVals = finite(rel).map((x) => x / 1000);
    out.push(`- Node kill -9, sessions released <= 30 s: ${range(relVals, 1, 's')}${rel.some((x) => x === undefined) ? ' (not heard within 40 s in some runs)' : ''}${relOk ? ' - met' : ' - NOT met'}.`);
    const lost = ks.reduce((s, k) => s + k.lost + k.idMismatch, 0);
    out.push(`- Node kill -9, 0 Accepted lost: ${lost} lost or changed over ${ks.reduce((s, k) => s + k.accepted, 0)} Accepted in ${ks.length} run(s)${lost === 0 ? ' - met' : ' - NOT met'}.`);
    const back = ks.map((k) => k.backMs / 1000);
    out.push(`- Node kill -9, clients back on another node <= 10 s: ${range(back, 3, 's')}${back.every((x) => x <= 10) ? ' - met' : ' - NOT met'}.`);
  }
  if (r.kills.some(failedKill)) out.push(`- The kill -9 figure failed in ${r.kills.filter(failedKill).length} run(s) (see the table).`);
  return out;
}
