/**
 * termchat-server nodes for the scale-out section: one node on SQLite (the reference) or N nodes on one
 * PostgreSQL schema, each the compiled server run with plain node, as users run it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, stderrLines, stopChild, waitLine } from './common.js';
import { collectStats, type StatsLine } from './serverStats.js';
import type { Pair, SystemDriver } from './systems.js';
import { wirePair } from './termchatWire.js';

export const STATS_MS = 500;

export interface Node {
  child: ChildProcess;
  port: number;
  pid: number;
  stats: StatsLine[];
  /** The node's warning and error log lines (pino level >= 40), the last 100. */
  warnings: string[];
}

export interface Cluster {
  nodes: Node[];
  stop(): Promise<void>;
}

/** One node; `store` is sqlite or a postgres:// URL; `nodeArgs` go to node itself (e.g. --cpu-prof). Resolves once it listens. */
export async function startNode(store: string, dir: string, extra: string[] = [], nodeArgs: string[] = []): Promise<Node> {
  const args = ['--port', '0', '--data', dir, '--store', store, '--scrypt-cost', '2', '--stats-interval', String(STATS_MS), '--log-level', 'info'];
  // As in the main section: the load must never meet the per-recipient mailbox cap.
  args.push('--mailbox-max', '1000000', '--mailbox-max-bytes', String(1 << 30), ...extra);
  const child = spawn(process.execPath, [...nodeArgs, 'dist/server/main.js', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const s = await waitLine(child, /^termchat-server listening on [^\s]+:(\d+), /);
  return { child, port: Number(s.match[1]), pid: child.pid!, stats: collectStats(child), warnings: warningsOf(child) };
}

/** Collects a node's pino lines of level warn and above from its stderr. */
function warningsOf(child: ChildProcess): string[] {
  const out: string[] = [];
  stderrLines(child, (line) => {
    const level = /"level":(\d+)/.exec(line);
    if (level && Number(level[1]) >= 40) {
      out.push(line.slice(0, 400));
      if (out.length > 100) out.shift();
    }
  });
  return out;
}

/** `n` nodes on `store` (started together: the first to come migrates the schema), each with its own data dir. */
export async function startCluster(store: string, n: number, extra: string[] = [], nodeArgs: string[] = []): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-scale-'));
  const started = await Promise.allSettled(Array.from({ length: n }, (_, i) => startNode(store, path.join(dir, `node${i}`), extra, nodeArgs)));
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    for (const x of nodes) await stopChild(x.child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const bad = started.find((s) => s.status === 'rejected');
  if (bad) {
    await stop();
    throw (bad as PromiseRejectedResult).reason;
  }
  return { nodes, stop };
}

/**
 * A driver over a cluster: pair i has its sender on node i % N and its recipient on node (i + 1) % N
 * (on one node, both there). The port argument of pair() is ignored; each figure gets a fresh driver.
 */
export function crossNodeDriver(nodes: Node[]): SystemDriver {
  let i = 0;
  return {
    name: `termchat, ${nodes.length} node(s)`,
    pair(): Promise<Pair> {
      const k = i++;
      return wirePair(nodes[k % nodes.length]!.port, nodes[(k + 1) % nodes.length]!.port);
    },
  };
}
