/**
 * PostgreSQL seen from the bench: whether it is reachable, a fresh schema per configuration (dropped
 * after), the database's committed transactions (pg_stat_database) and the CPU time of the postgres
 * processes (/proc), split into the backends serving our nodes and the rest.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { cpuMs } from './procStats.js';

/** The database the scale-out section uses (TERMCHAT_BENCH_PG overrides). */
export const PG_BASE = process.env['TERMCHAT_BENCH_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';

async function withClient<X>(fn: (c: pg.Client) => Promise<X>): Promise<X> {
  const c = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 3000, application_name: 'termchat-bench' });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Why PostgreSQL cannot be used, or undefined when it can. */
export async function pgMissing(): Promise<string | undefined> {
  try {
    await withClient((c) => c.query('SELECT 1'));
    return undefined;
  } catch (err) {
    return (err as Error).message || String(err);
  }
}

/** A URL naming a new schema `bench_<random>` (the first node creates it) and a function dropping it. */
export function freshSchema(): { url: string; drop: () => Promise<void> } {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const u = new URL(PG_BASE);
  u.searchParams.set('schema', schema);
  return { url: u.toString(), drop: () => withClient(async (c) => void (await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))) };
}

/** Committed transactions of the whole database so far (every client's, not only ours). */
export function xactCommits(): Promise<number> {
  const db = new URL(PG_BASE).pathname.slice(1) || 'postgres';
  return withClient(async (c) => {
    // Statistics are flushed by each backend at most once a second; make this backend's view fresh.
    await c.query('SELECT pg_stat_clear_snapshot()');
    const r = await c.query<{ n: string }>('SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1', [db]);
    return Number(r.rows[0]?.n ?? NaN);
  });
}

/** Pids of every process whose command name is postgres (the postmaster, its helpers, every backend). */
export function postgresPids(): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // Backends rename themselves in their command line ("postgres: 15/main: ..."), not in comm.
      if (fs.readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'postgres') out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Local ports of the TCP connections that processes `pids` hold to port `remotePort` (Linux /proc). */
function clientPorts(pids: number[], remotePort: number): number[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  }
  const ports: number[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = Number.parseInt(f[1]!.split(':')[1]!, 16);
      const remote = Number.parseInt(f[2]!.split(':')[1]!, 16);
      if (remote === remotePort && inodes.has(f[9]!)) ports.push(local);
    }
  }
  return ports;
}

/** Backend pids serving the connections of processes `pids` (matched by client port). */
export async function backendsOf(pids: number[]): Promise<number[]> {
  const ports = clientPorts(pids, Number(new URL(PG_BASE).port || 5432));
  if (ports.length === 0) return [];
  return withClient(async (c) => {
    const r = await c.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[]) AND client_addr IN ('127.0.0.1', '::1')", [ports]);
    return r.rows.map((x) => x.pid);
  });
}

/** CPU time (ms) of each of `pids` now; processes gone meanwhile are left out. */
export function cpuOf(pids: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const p of pids) {
    try {
      m.set(p, cpuMs(p));
    } catch {
      // gone
    }
  }
  return m;
}

/**
 * PostgreSQL's CPU over a window: `ours` is the backends serving our nodes plus the shared helper
 * processes (postmaster, WAL writer, checkpointer, ...); `all` every postgres process, other
 * clients' backends included (the machine is shared). Milliseconds. `end` reads the CPU times at
 * once (synchronously) and then asks which backends are ours.
 */
export function pgCpuWindow(nodePids: number[]): { start(): Promise<void>; end(): Promise<{ ours: number; all: number }> } {
  let before = new Map<number, number>();
  const ours = new Set<number>();
  return {
    async start() {
      for (const b of await backendsOf(nodePids)) ours.add(b);
      before = cpuOf(postgresPids());
    },
    async end() {
      const after = cpuOf(postgresPids());
      const clientBackends = new Set<number>();
      for (const pid of after.keys()) {
        try {
          // A client backend's command line names its user, database and client address.
          if (/^postgres: \S+: \S+ \S+ (\S+\(\d+\)|\[local\])/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '))) clientBackends.add(pid);
        } catch {
          // gone
        }
      }
      // Backends the nodes' pools opened during the window are theirs too.
      for (const b of await backendsOf(nodePids).catch(() => [])) ours.add(b);
      let all = 0;
      let mine = 0;
      for (const [pid, ms] of after) {
        // A process started inside the window counts from zero.
        const d = ms - (before.get(pid) ?? 0);
        all += d;
        if (!clientBackends.has(pid) || ours.has(pid)) mine += d;
      }
      return { ours: mine, all };
    },
  };
}
