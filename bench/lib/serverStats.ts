/**
 * The termchat server's own `stats` lines (startServer's statsIntervalMs: pino JSON on stderr), read by
 * the bench: event-loop delay percentiles per interval, to report under a load it generates.
 */
import type { ChildProcess } from 'node:child_process';
import { stderrLines } from './common.js';

export interface StatsLine {
  /** When the line was logged (ms since the epoch); it covers the interval that ended then. */
  time: number;
  p99: number;
  max: number;
  /** Store transactions committed and operations they carried during the interval. */
  commits: number;
  ops: number;
}

/** Collects the stats lines a server child writes on stderr (bounded to the last 10,000). */
export function collectStats(child: ChildProcess): StatsLine[] {
  const lines: StatsLine[] = [];
  stderrLines(child, (line) => {
    if (!line.includes('"msg":"stats"')) return;
    try {
      const j = JSON.parse(line) as { time?: number; eventLoopDelayMs?: { p99?: number; max?: number }; store?: { commits?: number; ops?: number } };
      const e = j.eventLoopDelayMs;
      if (typeof j.time === 'number' && typeof e?.p99 === 'number') {
        lines.push({ time: j.time, p99: e.p99, max: e.max ?? NaN, commits: j.store?.commits ?? NaN, ops: j.store?.ops ?? NaN });
      }
    } catch {
      // not a whole JSON line; ignore
    }
    if (lines.length > 10_000) lines.splice(0, 5000);
  });
  return lines;
}

/**
 * The worst interval p99 of event-loop delay among intervals lying inside [from, to] (ms since the
 * epoch); if the window is shorter than an interval, the intervals overlapping it. Undefined if none.
 */
export function loopDelayP99(lines: StatsLine[], from: number, to: number, intervalMs: number): number | undefined {
  const slack = intervalMs * 0.2;
  let inside = lines.filter((l) => l.time - intervalMs >= from - slack && l.time <= to + slack);
  if (inside.length === 0) inside = lines.filter((l) => l.time > from && l.time - intervalMs < to);
  return inside.length ? Math.max(...inside.map((l) => l.p99)) : undefined;
}

/** Store commits and operations summed over the intervals lying inside [from, to] (ms since the epoch), and over how long. */
export function storeCommits(lines: StatsLine[], from: number, to: number, intervalMs: number): { commits: number; ops: number; ms: number } {
  const slack = intervalMs * 0.2;
  const inside = lines.filter((l) => l.time - intervalMs >= from - slack && l.time <= to + slack);
  return { commits: inside.reduce((n, l) => n + l.commits, 0), ops: inside.reduce((n, l) => n + l.ops, 0), ms: inside.length * intervalMs };
}
