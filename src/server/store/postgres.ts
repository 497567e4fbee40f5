/**
 * The PostgreSQL store: several termchat-server nodes share one database (`--store postgres://…`).
 * The database is the store, the wake-up channel between nodes (LISTEN/NOTIFY, postgresLink.ts) and
 * the arbiter of sessions (node leases and the presence table). No rules live here.
 *
 * A batch is one transaction on one pooled connection (postgresOps.ts); the service's group-commit
 * queue sends one batch at a time, so a node's writes commit in the order it issued them. Default
 * durability (synchronous_commit on): a batch's promise settles once its commit is on disk.
 *
 * Losing the database is not fatal: a batch fails with an error carrying UNAVAILABLE (the service
 * answers a retryable error), the pool opens new connections when the database is back, and the
 * listener reconnects and reports `resync`.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { SERVICE_DEFAULTS } from '../serviceOptions.js';
import { BatchRunner } from './postgresOps.js';
import type { MailboxCap } from './postgresSends.js';
import { channelOf, Listener, type LinkLog } from './postgresLink.js';
import { payloads, type Wake } from './postgresWakes.js';
import { ident, ID_BLOCK, migrate } from './postgresSchema.js';
import { UNAVAILABLE, type NodeEvent, type Op, type OpenState, type OpResult, type SharedStore, type Store } from './store.js';

/** How long the sessions of a node that stopped renewing its lease stay bound, by default (ms). */
export const DEFAULT_LEASE_MS = 15_000;

export interface PostgresStoreOptions {
  /** A postgres:// URL; `?schema=NAME` picks the schema (default `termchat`). */
  url: string;
  /** How long a node's sessions outlive it when it stops renewing its lease (default 15 s). */
  leaseMs?: number;
  log?: LinkLog;
  /** The mailbox cap the database enforces (the service's maxQueue / maxQueueBytes; defaults there). */
  mailbox?: Partial<MailboxCap>;
}

const quiet: LinkLog = { info() {}, warn() {} };

/** When a lease renewed now runs out: SQL, with the lease in milliseconds as $2. */
const LEASE_END = "now() + $2 * interval '1 millisecond'";

/** 64-bit integers (ids, times) as numbers: every one termchat keeps fits in 2^53. */
const INT8 = 20;
const INT8_ARRAY = 1016;
const int8Array = pg.types.getTypeParser(INT8_ARRAY as never, 'text') as (v: string) => Array<string | null>;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8
      ? (v: string) => Number(v)
      : oid === INT8_ARRAY
        ? (v: string) => int8Array(v).map((x) => (x === null ? null : Number(x)))
        : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** Splits `?schema=` off a URL (pg would pass it to the server as a setting). */
export function parseUrl(url: string): { connectionString: string; schema: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--store: not a URL: ${url}`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new Error(`--store: expected postgres://…, got ${u.protocol}`);
  const schema = u.searchParams.get('schema') ?? 'termchat';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,50}$/.test(schema)) throw new Error(`--store: schema must be a plain identifier (letters, digits, _), got "${schema}"`);
  u.searchParams.delete('schema');
  return { connectionString: u.toString(), schema };
}

/** Whether an error means the database could not be reached (rather than a bad statement). */
/** Errors of a transaction that another one got in the way of (deadlock, serialization): running it again succeeds. */
function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '40P01' || code === '40001';
}

export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
    if (/^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN)$/.test(code)) return true;
  }
  return /Connection terminated|not queryable|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    (err as Error)?.message ?? '',
  );
}

export class PostgresStore implements Store, SharedStore {
  readonly nodeId = randomUUID();
  readonly stats = { commits: 0, ops: 0 };
  readonly shared: SharedStore = this;
  private readonly pool: pg.Pool;
  private readonly config: pg.ClientConfig;
  private readonly schema: string;
  private readonly channel: string;
  private readonly mailbox: MailboxCap;
  private readonly leaseMs: number;
  private readonly log: LinkLog;
  private listener: Listener | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private listeners: Array<(e: NodeEvent) => void> = [];
  private closed = false;

  constructor(opts: PostgresStoreOptions) {
    const { connectionString, schema } = parseUrl(opts.url);
    this.schema = schema;
    this.channel = channelOf(schema);
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.mailbox = {
      maxQueue: opts.mailbox?.maxQueue ?? SERVICE_DEFAULTS.maxQueue,
      maxQueueBytes: opts.mailbox?.maxQueueBytes ?? SERVICE_DEFAULTS.maxQueueBytes,
    };
    this.log = opts.log ?? quiet;
    this.config = {
      connectionString,
      options: `-c search_path=${ident(schema)}`,
      types,
      application_name: `termchat-server ${this.nodeId.slice(0, 8)}`,
      connectionTimeoutMillis: 5000,
      keepAlive: true,
    };
    this.pool = new pg.Pool({ ...this.config, max: 4 });
    // An idle pooled connection that dies is dropped by the pool; the next batch opens another.
    this.pool.on('error', (err) => this.log.warn({ err: err.message }, 'a pooled database connection failed'));
    // A connection in use that dies between two queries emits 'error' on itself: without a listener
    // that would end the process. The query in flight (or the next) fails and the batch says so.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  onEvent(listener: (e: NodeEvent) => void): void {
    this.listeners.push(listener);
  }

  async open(): Promise<OpenState> {
    const c = await this.pool.connect();
    try {
      await migrate(c, this.schema);
      await c.query(`INSERT INTO nodes (node_id, lease_until) VALUES ($1, ${LEASE_END})`, [this.nodeId, this.leaseMs]);
      const seq = await c.query<{ last_value: number; is_called: boolean; m: number | null }>(
        'SELECT last_value, is_called, (SELECT max(id) FROM messages) AS m FROM message_ids',
      );
      const { last_value, is_called, m } = seq.rows[0]!;
      this.listener = new Listener(this.config, this.channel, this.nodeId, (e) => this.emit(e), this.log);
      await this.listener.start();
      this.heartbeat = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.leaseMs / 3)));
      this.heartbeat.unref();
      const accounts = (await new BatchRunner(c, this.nodeId, this.mailbox).one({ op: 'accounts' })) as OpenState['accounts'];
      const queues = await c.query<{ r: number; n: number; b: number }>(
        'SELECT recipient_id AS r, count(*)::int AS n, coalesce(sum(octet_length(content)), 0)::int AS b FROM messages GROUP BY recipient_id',
      );
      return {
        accounts,
        nextMessageId: Math.max(is_called ? last_value + ID_BLOCK : last_value, (m ?? 0) + 1),
        queues: queues.rows.map((q) => [q.r, q.n, q.b]),
      };
    } finally {
      c.release();
    }
  }

  async run(batch: readonly Op[]): Promise<OpResult[]> {
    let c: pg.PoolClient;
    try {
      c = await this.pool.connect();
    } catch (err) {
      throw unavailable(err);
    }
    let broken: unknown;
    try {
      if (BatchRunner.alone(batch)) {
        // One statement commits by itself: no BEGIN and COMMIT round trips. Should it fail, it
        // changed nothing, and the batch goes the careful way below.
        try {
          const values = await new BatchRunner(c, this.nodeId, this.mailbox).runAll(batch);
          this.stats.commits++;
          this.stats.ops += batch.length;
          return values.map((value) => ({ ok: true, value }));
        } catch (err) {
          if (isConnectionError(err)) throw (broken = err);
        }
      }
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.transaction(c, batch, false);
        } catch (err) {
          if (isConnectionError(err)) throw (broken = err);
          // Another node's transaction got in the way (the mailbox rows are locked in one order, but
          // a deadlock stays possible with others): the same batch again, a few times.
          if (isTransient(err) && attempt < 4) continue;
          if (isTransient(err)) throw unavailable(err);
          break;
        }
      }
      // One operation failed: run the batch again with a savepoint each, so only it fails.
      return await this.transaction(c, batch, true);
    } catch (err) {
      if (isConnectionError(err)) throw unavailable((broken = err));
      throw err;
    } finally {
      c.release(broken instanceof Error ? broken : undefined);
    }
  }

  private async transaction(c: pg.PoolClient, batch: readonly Op[], careful: boolean): Promise<OpResult[]> {
    const runner = new BatchRunner(c, this.nodeId, this.mailbox);
    await c.query('BEGIN');
    try {
      let results: OpResult[];
      if (!careful) {
        results = (await runner.runAll(batch)).map((value) => ({ ok: true, value }));
      } else {
        results = [];
        for (const op of batch) {
          await c.query('SAVEPOINT op');
          try {
            results.push({ ok: true, value: await runner.one(op) });
            await c.query('RELEASE SAVEPOINT op');
          } catch (err) {
            if (isConnectionError(err)) throw err;
            await c.query('ROLLBACK TO SAVEPOINT op');
            // Got in the way of another transaction: retryable, as when the database is out of reach.
            results.push({ ok: false, error: isTransient(err) ? unavailable(err).message : (err as Error).message });
          }
        }
      }
      await this.notify(c, runner.wakes);
      await c.query('COMMIT');
      this.stats.commits++;
      this.stats.ops += batch.length;
      return results;
    } catch (err) {
      if (!isConnectionError(err)) await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async notify(c: pg.ClientBase, wakes: readonly Wake[]): Promise<void> {
    for (const p of payloads(this.nodeId, wakes)) await c.query('SELECT pg_notify($1, $2)', [this.channel, p]);
  }

  /** Renews this node's lease and removes nodes whose lease ran out, with their sessions. */
  private async renew(): Promise<void> {
    if (this.closed) return;
    let c: pg.PoolClient | undefined;
    try {
      c = await this.pool.connect();
      const r = await c.query(`UPDATE nodes SET lease_until = ${LEASE_END} WHERE node_id = $1`, [this.nodeId, this.leaseMs]);
      if (r.rowCount === 0) {
        // The lease ran out (the database was out of reach) and another node removed this one.
        await c.query(`INSERT INTO nodes (node_id, lease_until) VALUES ($1, ${LEASE_END}) ON CONFLICT DO NOTHING`, [this.nodeId, this.leaseMs]);
        this.log.warn({ node: this.nodeId }, 'this node lost its lease; binding its sessions again');
        this.emit({ type: 'resync', since: Date.now() - 2 * this.leaseMs });
      }
      await c.query('BEGIN');
      const gone = await c.query<{ name: string }>(
        `WITH dead AS (DELETE FROM nodes WHERE lease_until < now() RETURNING node_id)
         DELETE FROM presence p WHERE p.node_id IN (SELECT node_id FROM dead)
            OR NOT EXISTS (SELECT 1 FROM nodes n WHERE n.node_id = p.node_id)
         RETURNING p.name`,
      );
      await this.notify(c, offline(gone.rows));
      await c.query('COMMIT');
      if (gone.rows.length > 0) this.log.info({ sessions: gone.rows.length }, 'released the sessions of nodes whose lease ran out');
      // This node's own watchers hear it too (a node does not hear its own NOTIFY).
      for (const w of gone.rows) this.emit({ type: 'presence', name: w.name, online: false });
      c.release();
    } catch (err) {
      await c?.query('ROLLBACK').catch(() => undefined);
      c?.release(err instanceof Error ? err : undefined);
      this.log.warn({ err: (err as Error).message }, 'renewing the node lease failed');
    }
  }

  private emit(e: NodeEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'handling an event from another node failed');
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    await this.listener?.stop();
    // A clean stop releases this node's sessions at once instead of after the lease.
    try {
      const c = await this.pool.connect();
      try {
        await c.query('BEGIN');
        const gone = await c.query<{ name: string }>('DELETE FROM presence WHERE node_id = $1 RETURNING name', [this.nodeId]);
        await c.query('DELETE FROM nodes WHERE node_id = $1', [this.nodeId]);
        await this.notify(c, offline(gone.rows));
        await c.query('COMMIT');
      } finally {
        c.release();
      }
    } catch {
      // The database is gone: the lease runs out by itself.
    }
    await this.pool.end();
  }
}

/** "Went offline" wake-ups for the sessions whose rows were removed. */
function offline(rows: ReadonlyArray<{ name: string }>): Wake[] {
  return rows.map((r) => ['p', r.name, 0]);
}

function unavailable(err: unknown): Error {
  return new Error(`${UNAVAILABLE}: ${(err as Error)?.message ?? String(err)}`);
}

/** Drops a schema (tests: each run has its own). */
export async function dropSchema(url: string): Promise<void> {
  const { connectionString, schema } = parseUrl(url);
  const c = new pg.Client({ connectionString });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`);
  } finally {
    await c.end();
  }
}
