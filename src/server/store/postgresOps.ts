/**
 * One batch of store operations on PostgreSQL. A run of consecutive operations of one kind (Sends,
 * Acks, receipts, account lookups) is one statement however many it carries; a batch that is such
 * a run alone needs no transaction around it (see BatchRunner.alone), anything else runs inside the
 * caller's. What the other nodes must hear is sent with NOTIFY in the statement or transaction
 * that makes it, so it is heard exactly when the data it names is visible: the run of Sends and of
 * Acks notify in SQL, the rest gather wake-ups here for the caller to send before its COMMIT.
 */
import type pg from 'pg';
import type { Account, Binding, DeleteResult, IdBlock, InsertOp, Op, StoredMessage } from './store.js';
import { NODE_CHANNEL, type Wake } from './postgresWakes.js';
import { globToLike, ID_BLOCK } from './postgresSchema.js';
import { isGroupOp, mergePages } from './groupOps.js';
import { PgGroups } from './postgresGroups.js';
import { ackRun, insertRun, type MailboxCap } from './postgresSends.js';

interface MessageRow {
  id: number;
  sender_name: string;
  sender_deleted: boolean;
  sent_at: number;
  content: string;
  client_id: number;
  flags: number;
}

/** The kinds whose consecutive operations run as one statement (see BatchRunner.run). */
const GROUPED: ReadonlySet<Op['op']> = new Set(['insert', 'ack', 'findAccount', 'addReceipts']);

/** Runs operations on one connection, gathering the wake-ups the caller must send. */
export class BatchRunner {
  readonly wakes: Wake[] = [];
  private groupOps: PgGroups | undefined;

  constructor(
    private readonly db: pg.ClientBase,
    private readonly nodeId: string,
    /** The mailbox cap, checked in the database so that it holds across nodes. */
    private readonly mailbox: MailboxCap,
  ) {}

  /**
   * Whether `batch` may run outside a transaction: a run of one kind that is a single statement
   * (whose NOTIFYs, if any, are inside it), so it commits as a whole by itself.
   */
  static alone(batch: readonly Op[]): boolean {
    const kind = batch[0]?.op;
    return kind !== undefined && GROUPED.has(kind) && batch.every((o) => o.op === kind);
  }

  /** Results of `ops`, in order; throws on the first failing statement. */
  async runAll(ops: readonly Op[]): Promise<unknown[]> {
    const out: unknown[] = new Array(ops.length);
    let i = 0;
    while (i < ops.length) {
      const op = ops[i]!;
      if (GROUPED.has(op.op)) {
        let j = i + 1;
        while (j < ops.length && ops[j]!.op === op.op) j++;
        const values = await this.run(ops.slice(i, j));
        for (let k = 0; k < values.length; k++) out[i + k] = values[k];
        i = j;
      } else {
        out[i] = await this.one(op);
        i++;
      }
    }
    return out;
  }

  /** A run of operations of one grouped kind, as one statement. */
  private run(run: readonly Op[]): Promise<unknown[]> {
    switch (run[0]!.op) {
      case 'insert':
        return insertRun(this.db, this.nodeId, this.mailbox, run as InsertOp[]);
      case 'ack':
        return ackRun(this.db, this.nodeId, run as Array<Extract<Op, { op: 'ack' }>>);
      case 'findAccount':
        return this.findAccounts(run as Array<Extract<Op, { op: 'findAccount' }>>);
      default:
        return this.addReceipts(run as Array<Extract<Op, { op: 'addReceipts' }>>);
    }
  }

  /** One operation on its own (also the careful path: one savepoint each). */
  async one(op: Op): Promise<unknown> {
    if (GROUPED.has(op.op)) return (await this.run([op]))[0];
    const q = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => this.db.query<R>(text, values);
    switch (op.op) {
      case 'recentReceipts': {
        const r = await q<{ message_id: number }>('SELECT message_id FROM sends WHERE sender_id = $1 AND acked_at >= $2', [op.senderId, op.since]);
        return r.rows.map((x) => x.message_id).sort((a, b) => a - b);
      }
      case 'takeReceipts': {
        const r = await q<{ message_id: number }>('DELETE FROM receipts WHERE sender_id = $1 RETURNING message_id', [op.senderId]);
        return r.rows.map((x) => x.message_id).sort((a, b) => a - b);
      }
      case 'fetch': {
        const rows = await q<MessageRow>(
          `SELECT m.id, a.name AS sender_name, (a.deleted_at IS NOT NULL) AS sender_deleted, m.sent_at, m.content, m.client_id, m.flags
           FROM messages m JOIN accounts a ON a.id = m.sender_id
           WHERE m.recipient_id = $1 AND m.id > $3 ORDER BY m.id LIMIT $2`,
          [op.recipientId, op.max, op.after ?? 0],
        );
        const total = op.after === undefined ? await this.count(op.recipientId) : await this.countAfter(op.recipientId, op.after);
        const messages: StoredMessage[] = rows.rows.map((r) => ({
          id: r.id,
          senderName: r.sender_name,
          clientId: r.client_id,
          flags: r.flags,
          senderDeleted: r.sender_deleted,
          sentAt: r.sent_at,
          content: r.content,
        }));
        return mergePages({ messages, total }, await this.groups.fetch(op.recipientId, op.max, op.after), op.max);
      }
      case 'count':
        return (await this.count(op.recipientId)) + (await this.groups.count(op.recipientId));
      case 'createAccount': {
        const r = await q<{ id: number }>(
          `INSERT INTO accounts (name, hash, created_at) VALUES ($1, $2, $3)
           ON CONFLICT (name) WHERE deleted_at IS NULL DO NOTHING RETURNING id`,
          [op.name, op.hash, Date.now()],
        );
        const id = r.rows[0]?.id;
        if (id !== undefined) this.wakes.push(['a', op.name, id, 1]);
        return id;
      }
      case 'deleteAccount': {
        const waiting = (await this.count(op.accountId)) + (await this.groups.count(op.accountId));
        if (waiting > 0 && !op.force) return { deleted: false, waiting } satisfies DeleteResult;
        const groups = await this.groups.leaveAll(op.accountId);
        const r = await q<{ name: string }>("UPDATE accounts SET deleted_at = $2, hash = '' WHERE id = $1 AND deleted_at IS NULL RETURNING name", [
          op.accountId,
          Date.now(),
        ]);
        await q('DELETE FROM messages WHERE recipient_id = $1', [op.accountId]);
        await q('DELETE FROM sends WHERE sender_id = $1', [op.accountId]);
        await q('DELETE FROM receipts WHERE sender_id = $1', [op.accountId]);
        const name = r.rows[0]?.name;
        if (name !== undefined) this.wakes.push(['a', name, op.accountId, 0]);
        return (groups.length > 0 ? { deleted: true, groups } : { deleted: true }) satisfies DeleteResult;
      }
      case 'list': {
        const like = globToLike(op.pattern);
        const total = await q<{ n: number }>('SELECT count(*)::int AS n FROM accounts WHERE deleted_at IS NULL AND name LIKE $1', [like]);
        const page = await q<{ name: string }>(
          'SELECT name FROM accounts WHERE deleted_at IS NULL AND name LIKE $1 ORDER BY name COLLATE "C" LIMIT $2 OFFSET $3',
          [like, op.limit, op.offset],
        );
        return { total: total.rows[0]!.n, names: page.rows.map((r) => r.name) };
      }
      case 'throttleTurn': {
        // The keys' rows locked in key order (no deadlock between nodes); the turn is the latest of
        // their next-free times, and each live key's next turn moves past it.
        const { delayMs, maxDelayMs, forgetAfterMs } = op.rule;
        const r = await q<{ at: number; live: number }>(
          `WITH cur AS (
             SELECT key, n, next FROM login_failures WHERE key = ANY($1::text[]) AND last >= $2::bigint - $3::bigint ORDER BY key FOR UPDATE
           ), t AS (SELECT greatest($2::bigint, coalesce(max(next), 0)) AS at, count(*) AS live FROM cur),
           upd AS (
             UPDATE login_failures f SET next = t.at + least($5::bigint, ($4::bigint * power(2, least(cur.n - 1, 30)))::bigint)
             FROM t, cur WHERE f.key = cur.key AND t.at - $2::bigint <= $5::bigint RETURNING 1
           )
           SELECT t.at::float8 AS at, t.live::int AS live, (SELECT count(*) FROM upd) AS moved FROM t`,
          [op.keys, op.now, forgetAfterMs, delayMs, maxDelayMs],
        );
        const { at, live } = r.rows[0]!;
        if (live === 0) return { waitMs: 0, check: true };
        if (at - op.now > maxDelayMs) return { waitMs: maxDelayMs, check: false };
        return { waitMs: at - op.now, check: true };
      }
      case 'throttleFail': {
        const { delayMs, maxDelayMs, forgetAfterMs } = op.rule;
        await q(
          `INSERT INTO login_failures AS f (key, n, last, next)
           SELECT k, 1, $2::bigint, $2::bigint + $4::bigint FROM unnest($1::text[]) AS k ORDER BY k
           ON CONFLICT (key) DO UPDATE SET
             n = CASE WHEN f.last >= $2::bigint - $3::bigint THEN f.n + 1 ELSE 1 END,
             last = $2::bigint,
             next = greatest(CASE WHEN f.last >= $2::bigint - $3::bigint THEN f.next ELSE 0 END,
                             $2::bigint + least($5::bigint, ($4::bigint * power(2, least(CASE WHEN f.last >= $2::bigint - $3::bigint THEN f.n ELSE 0 END, 30)))::bigint))`,
          [op.keys, op.now, forgetAfterMs, delayMs, maxDelayMs],
        );
        return undefined;
      }
      case 'throttleSuccess':
        await q('DELETE FROM login_failures WHERE key = ANY($1::text[])', [op.keys]);
        await q(
          `INSERT INTO known_addresses (account, address, at) VALUES ($1, $2, $3)
           ON CONFLICT (account, address) DO UPDATE SET at = excluded.at`,
          [op.account, op.address, op.now],
        );
        return undefined;
      case 'knownAddress': {
        const r = await q('SELECT 1 FROM known_addresses WHERE account = $1 AND address = $2 AND at >= $3', [op.account, op.address, op.since]);
        return (r.rowCount ?? 0) > 0;
      }
      case 'register': {
        // One address's registrations counted under a lock of its own, so nodes cannot both take the last one.
        await q('SELECT pg_advisory_xact_lock(hashtext($1))', [`termchat register ${op.address}`]);
        const r = await q<{ n: number }>('SELECT count(*)::int AS n FROM registrations WHERE address = $1 AND at > $2', [op.address, op.now - op.windowMs]);
        if (r.rows[0]!.n >= op.perWindow) return false;
        await q('INSERT INTO registrations (address, at) VALUES ($1, $2)', [op.address, op.now]);
        return true;
      }
      case 'prune': {
        const r = await q('DELETE FROM sends WHERE sent_at < $1', [op.before]);
        // Throttle counts this old are long forgotten (they last minutes, registration windows an hour).
        await q('DELETE FROM login_failures WHERE last < $1', [op.before]);
        await q('DELETE FROM registrations WHERE at < $1', [op.before]);
        // A Send that raced its recipient's deletion on another node may have landed after it.
        await q('DELETE FROM messages m USING accounts a WHERE a.id = m.recipient_id AND a.deleted_at IS NOT NULL');
        return r.rowCount ?? 0;
      }
      case 'reserveIds':
        // One sequence serves every node: moving it past `upTo` keeps the single-store contract.
        await q("SELECT setval('message_ids', greatest($1::bigint, (SELECT last_value FROM message_ids)))", [op.upTo]);
        return null;
      case 'allocateIds': {
        const r = await q<{ first: number }>("SELECT nextval('message_ids') AS first");
        return { first: r.rows[0]!.first, count: ID_BLOCK } satisfies IdBlock;
      }
      case 'bindSession': {
        // Binds of one account take turns, so two nodes cannot both see "nobody was online".
        await q('SELECT pg_advisory_xact_lock(1, $1::int)', [op.accountId % 0x7fffffff]);
        const old = await q<{ claim: number }>('SELECT claim FROM presence WHERE account_id = $1', [op.accountId]);
        const r = await q<{ claim: number; newest: number }>(
          `INSERT INTO presence (account_id, name, node_id, claim) VALUES ($1, $2, $3, nextval('session_claims'))
           ON CONFLICT (account_id) DO UPDATE SET name = excluded.name, node_id = excluded.node_id, claim = excluded.claim
           RETURNING claim, (SELECT last_value FROM message_ids) AS newest`,
          [op.accountId, op.name, this.nodeId],
        );
        const { claim, newest } = r.rows[0]!;
        const wasOnline = old.rows.length > 0;
        this.wakes.push(wasOnline ? ['t', op.accountId, claim] : ['p', op.name, 1]);
        return { claim, wasOnline, newestBlock: newest } satisfies Binding;
      }
      case 'unbindSession': {
        const r = await q<{ name: string }>('DELETE FROM presence WHERE account_id = $1 AND claim = $2 RETURNING name', [op.accountId, op.claim]);
        if (r.rows[0]) this.wakes.push(['p', r.rows[0].name, 0]);
        return null;
      }
      case 'rebind': {
        if (op.sessions.length === 0) return [];
        const ids = op.sessions.map((x) => x.accountId);
        const added = await q<{ name: string }>(
          `INSERT INTO presence (account_id, name, node_id, claim)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::uuid[], $4::bigint[])
           ON CONFLICT (account_id) DO NOTHING RETURNING name`,
          [ids, op.sessions.map((x) => x.name), op.sessions.map(() => this.nodeId), op.sessions.map((x) => x.claim)],
        );
        for (const a of added.rows) this.wakes.push(['p', a.name, 1]);
        const lost = await q<{ account_id: number }>(
          'SELECT p.account_id FROM presence p JOIN unnest($1::bigint[], $2::bigint[]) AS s(a, c) ON p.account_id = s.a WHERE p.claim <> s.c',
          [ids, op.sessions.map((x) => x.claim)],
        );
        return lost.rows.map((x) => x.account_id);
      }
      case 'online': {
        const r = await q<{ name: string }>(
          'SELECT p.name FROM presence p JOIN nodes n ON n.node_id = p.node_id WHERE p.name = ANY($1::text[]) AND n.lease_until > now()',
          [op.names],
        );
        return r.rows.map((x) => x.name);
      }
      case 'accounts': {
        const r = await q<{ name: string; id: number }>('SELECT name, id FROM accounts WHERE deleted_at IS NULL');
        return r.rows.map((x) => [x.name, x.id]);
      }
      default:
        if (isGroupOp(op)) return this.groups.one(op);
        throw new Error(`unknown store operation ${(op as { op: string }).op}`);
    }
  }

  /** The group operations, on this runner's connection and wake-ups. */
  private get groups(): PgGroups {
    return (this.groupOps ??= new PgGroups(this.db, this.nodeId, this.wakes));
  }

  /**
   * A run of receipt batches: a sender with a live session on another node is sent its receipts
   * there (a wake-up, nothing written); the others are kept for their next Login, in one INSERT.
   * A deleted sender keeps none (it will never log in again).
   */
  private async addReceipts(ops: ReadonlyArray<Extract<Op, { op: 'addReceipts' }>>): Promise<null[]> {
    const all = ops.flatMap((o) => o.receipts);
    if (all.length > 0) {
      // Ids go out in chunks of 500 a wake-up, under the NOTIFY payload limit.
      await this.db.query(
        `WITH r AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS r(s, m)),
         away AS (SELECT account_id AS s, node_id FROM presence WHERE account_id IN (SELECT s FROM r) AND node_id <> $3::uuid),
         kept AS (
           INSERT INTO receipts (sender_id, message_id)
           SELECT r.s, r.m FROM r JOIN accounts a ON a.id = r.s AND a.deleted_at IS NULL WHERE r.s NOT IN (SELECT s FROM away)
           ON CONFLICT DO NOTHING RETURNING 1
         ), woke AS (
           SELECT pg_notify($4 || x.node_id::text, $5::text || chr(30) || 'r' || chr(31) || x.s || chr(31) || string_agg(x.m::text, chr(31) ORDER BY x.m))
           FROM (SELECT r.s, a.node_id, r.m, (row_number() OVER (PARTITION BY r.s ORDER BY r.m) - 1) / 500 AS chunk FROM r JOIN away a ON a.s = r.s) x
           GROUP BY x.s, x.node_id, x.chunk
         )
         SELECT (SELECT count(*) FROM kept) AS kept, (SELECT count(*) FROM woke) AS woke`,
        [all.map((x) => x.senderId), all.map((x) => x.id), this.nodeId, NODE_CHANNEL, this.nodeId],
      );
    }
    return ops.map(() => null);
  }

  /** A run of account lookups (Sends to names this node did not know, Logins) in one SELECT. */
  private async findAccounts(ops: ReadonlyArray<Extract<Op, { op: 'findAccount' }>>): Promise<Array<Account | undefined>> {
    const r = await this.db.query<Account>('SELECT id, name, hash FROM accounts WHERE name = ANY($1::text[]) AND deleted_at IS NULL', [
      [...new Set(ops.map((o) => o.name))],
    ]);
    const byName = new Map(r.rows.map((a) => [a.name, a]));
    return ops.map((o) => byName.get(o.name));
  }

  private async count(recipientId: number): Promise<number> {
    const r = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE recipient_id = $1', [recipientId]);
    return r.rows[0]!.n;
  }

  private async countAfter(recipientId: number, after: number): Promise<number> {
    const r = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE recipient_id = $1 AND id > $2', [recipientId, after]);
    return r.rows[0]!.n;
  }
}
