/**
 * One batch of store operations as one PostgreSQL transaction. Runs of consecutive Sends become one
 * multi-row INSERT (and one resend-record upsert), runs of Acks one DELETE: a batch costs a handful
 * of round trips however many messages it carries. What a batch must tell the other nodes is
 * gathered as wake-ups and sent with NOTIFY inside the same transaction, so it is heard exactly when
 * the data it names is visible.
 */
import type pg from 'pg';
import { contentDigest } from './sqliteDb.js';
import type { Account, Binding, DeleteResult, IdBlock, InsertOp, InsertResult, Op, Receipt, StoredMessage } from './store.js';
import { ID_BLOCK } from './postgresSchema.js';

/** One wake-up for the other nodes (see postgresNodes.ts for the wire form). */
export type Wake =
  | ['m', recipientId: number, id: number, sender: string, clientId: number, flags: number, sentAt: number, content: string]
  | ['t', accountId: number, claim: number]
  | ['p', name: string, online: 0 | 1]
  | ['r', senderId: number]
  | ['a', name: string, id: number, live: 0 | 1];

interface MessageRow {
  id: number;
  sender_name: string;
  sender_deleted: boolean;
  sent_at: number;
  content: string;
  client_id: number;
  flags: number;
}

/** `*` and `?` (the only wildcards a pattern may hold) as LIKE's `%` and `_`; the rest literal. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, '\\$&').replace(/\*/g, '%').replace(/\?/g, '_');
}

/** Runs operations on one connection inside the caller's transaction, gathering wake-ups. */
export class BatchRunner {
  readonly wakes: Wake[] = [];

  constructor(
    private readonly db: pg.ClientBase,
    private readonly nodeId: string,
  ) {}

  /** Results of `ops`, in order; throws on the first failing statement. */
  async runAll(ops: readonly Op[]): Promise<unknown[]> {
    const out: unknown[] = new Array(ops.length);
    let i = 0;
    while (i < ops.length) {
      const op = ops[i]!;
      if (op.op === 'insert' || op.op === 'ack' || op.op === 'findAccount') {
        let j = i + 1;
        while (j < ops.length && ops[j]!.op === op.op) j++;
        const run = ops.slice(i, j);
        const values =
          op.op === 'insert'
            ? await this.inserts(run as InsertOp[])
            : op.op === 'ack'
              ? await this.acks(run as Array<Extract<Op, { op: 'ack' }>>)
              : await this.findAccounts(run as Array<Extract<Op, { op: 'findAccount' }>>);
        for (let k = 0; k < values.length; k++) out[i + k] = values[k];
        i = j;
      } else {
        out[i] = await this.one(op);
        i++;
      }
    }
    return out;
  }

  /** One operation on its own (also the careful path: one savepoint each). */
  async one(op: Op): Promise<unknown> {
    const q = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => this.db.query<R>(text, values);
    switch (op.op) {
      case 'insert':
        return (await this.inserts([op]))[0];
      case 'ack':
        return (await this.acks([op]))[0];
      case 'addReceipts': {
        if (op.receipts.length === 0) return null;
        // A deleted sender keeps no receipts (it will never log in again).
        const r = await q<{ sender_id: number }>(
          `INSERT INTO receipts (sender_id, message_id)
           SELECT r.s, r.m FROM unnest($1::bigint[], $2::bigint[]) AS r(s, m)
           JOIN accounts a ON a.id = r.s AND a.deleted_at IS NULL
           ON CONFLICT DO NOTHING RETURNING sender_id`,
          [op.receipts.map((x) => x.senderId), op.receipts.map((x) => x.id)],
        );
        for (const s of new Set(r.rows.map((x) => x.sender_id))) this.wakes.push(['r', s]);
        return null;
      }
      case 'takeReceipts': {
        const r = await q<{ message_id: number }>('DELETE FROM receipts WHERE sender_id = $1 RETURNING message_id', [op.senderId]);
        return r.rows.map((x) => x.message_id).sort((a, b) => a - b);
      }
      case 'fetch': {
        const rows = await q<MessageRow>(
          `SELECT m.id, a.name AS sender_name, (a.deleted_at IS NOT NULL) AS sender_deleted, m.sent_at, m.content, m.client_id, m.flags
           FROM messages m JOIN accounts a ON a.id = m.sender_id
           WHERE m.recipient_id = $1 ORDER BY m.id LIMIT $2`,
          [op.recipientId, op.max],
        );
        const total = await this.count(op.recipientId);
        const messages: StoredMessage[] = rows.rows.map((r) => ({
          id: r.id,
          senderName: r.sender_name,
          clientId: r.client_id,
          flags: r.flags,
          senderDeleted: r.sender_deleted,
          sentAt: r.sent_at,
          content: r.content,
        }));
        return { messages, remaining: Math.max(0, total - messages.length) };
      }
      case 'count':
        return this.count(op.recipientId);
      case 'findAccount': {
        const r = await q<{ id: number; name: string; hash: string }>('SELECT id, name, hash FROM accounts WHERE name = $1 AND deleted_at IS NULL', [op.name]);
        return r.rows[0];
      }
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
        const waiting = await this.count(op.accountId);
        if (waiting > 0 && !op.force) return { deleted: false, waiting } satisfies DeleteResult;
        const r = await q<{ name: string }>("UPDATE accounts SET deleted_at = $2, hash = '' WHERE id = $1 AND deleted_at IS NULL RETURNING name", [
          op.accountId,
          Date.now(),
        ]);
        await q('DELETE FROM messages WHERE recipient_id = $1', [op.accountId]);
        await q('DELETE FROM sends WHERE sender_id = $1', [op.accountId]);
        await q('DELETE FROM receipts WHERE sender_id = $1', [op.accountId]);
        const name = r.rows[0]?.name;
        if (name !== undefined) this.wakes.push(['a', name, op.accountId, 0]);
        return { deleted: true } satisfies DeleteResult;
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
      case 'prune': {
        const r = await q('DELETE FROM sends WHERE sent_at < $1', [op.before]);
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
        throw new Error(`unknown store operation ${(op as { op: string }).op}`);
    }
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

  /**
   * A run of Sends in three statements: which recipients are live, which resend records are new
   * (an upsert that only takes a record older than the window), and one INSERT of the messages.
   */
  private async inserts(ops: readonly InsertOp[]): Promise<InsertResult[]> {
    const results: Array<InsertResult | undefined> = new Array(ops.length);
    const live = await this.db.query<{ id: number }>('SELECT id FROM accounts WHERE id = ANY($1::bigint[]) AND deleted_at IS NULL', [
      [...new Set(ops.map((o) => o.recipientId))],
    ]);
    const liveIds = new Set(live.rows.map((r) => r.id));
    const digests = ops.map((o) => contentDigest(o.content));
    // Resend records: the first of a (sender, clientId) in this run claims it; a later one is its repeat.
    const firstOf = new Map<string, number>();
    const claims: number[] = [];
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i]!;
      if (!liveIds.has(o.recipientId)) {
        results[i] = { stored: false, noSuchRecipient: true };
        continue;
      }
      if (o.clientId === 0) continue;
      const key = `${o.senderId}:${o.clientId}`;
      const first = firstOf.get(key);
      if (first === undefined) {
        firstOf.set(key, i);
        claims.push(i);
      } else {
        const f = ops[first]!;
        results[i] =
          f.recipientId === o.recipientId && digests[first] === digests[i] ? { stored: false, duplicateOf: f.id } : { stored: false, reused: true };
      }
    }
    if (claims.length > 0) {
      const c = claims.map((i) => ops[i]!);
      const taken = await this.db.query<{ sender_id: number; client_id: number }>(
        `INSERT INTO sends AS s (sender_id, client_id, message_id, recipient_id, sent_at, digest)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
         ON CONFLICT (sender_id, client_id) DO UPDATE SET
           message_id = excluded.message_id, recipient_id = excluded.recipient_id, sent_at = excluded.sent_at, digest = excluded.digest
         WHERE s.sent_at < excluded.sent_at - $7::bigint
         RETURNING sender_id, client_id`,
        [
          c.map((o) => o.senderId),
          c.map((o) => o.clientId),
          c.map((o) => o.id),
          c.map((o) => o.recipientId),
          c.map((o) => o.sentAt),
          claims.map((i) => digests[i]),
          c[0]!.sentAt - c[0]!.dedupSince,
        ],
      );
      const won = new Set(taken.rows.map((r) => `${r.sender_id}:${r.client_id}`));
      const lost = claims.filter((i) => !won.has(`${ops[i]!.senderId}:${ops[i]!.clientId}`));
      if (lost.length > 0) {
        const prev = await this.db.query<{ sender_id: number; client_id: number; message_id: number; recipient_id: number; digest: number | null }>(
          `SELECT s.sender_id, s.client_id, s.message_id, s.recipient_id, s.digest FROM sends s
           JOIN unnest($1::bigint[], $2::bigint[]) AS k(s, c) ON s.sender_id = k.s AND s.client_id = k.c`,
          [lost.map((i) => ops[i]!.senderId), lost.map((i) => ops[i]!.clientId)],
        );
        const byKey = new Map(prev.rows.map((r) => [`${r.sender_id}:${r.client_id}`, r]));
        for (const i of lost) {
          const o = ops[i]!;
          const p = byKey.get(`${o.senderId}:${o.clientId}`)!;
          const same = p.recipient_id === o.recipientId && (p.digest === null || p.digest === digests[i]);
          results[i] = same ? { stored: false, duplicateOf: p.message_id } : { stored: false, reused: true };
        }
      }
    }
    const store: InsertOp[] = [];
    for (let i = 0; i < ops.length; i++) {
      if (results[i] === undefined) {
        results[i] = { stored: true };
        store.push(ops[i]!);
      }
    }
    if (store.length > 0) {
      const contents = store.map((o) => o.content.toString('latin1'));
      await this.db.query(
        `INSERT INTO messages (id, recipient_id, sender_id, sent_at, content, client_id, flags)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::int[])`,
        [
          store.map((o) => o.id),
          store.map((o) => o.recipientId),
          store.map((o) => o.senderId),
          store.map((o) => o.sentAt),
          contents,
          store.map((o) => o.clientId),
          store.map((o) => o.flags),
        ],
      );
      store.forEach((o, k) => {
        if (o.wake !== undefined) this.wakes.push(['m', o.recipientId, o.id, o.wake, o.clientId, o.flags, o.sentAt, contents[k]!]);
      });
    }
    return results as InsertResult[];
  }

  /** A run of Acks in one DELETE. */
  private async acks(ops: ReadonlyArray<Extract<Op, { op: 'ack' }>>): Promise<Array<{ receipts: Receipt[]; bytes: number }>> {
    const ids: number[] = [];
    const recipients: number[] = [];
    for (const o of ops) {
      for (const id of o.ids) {
        ids.push(id);
        recipients.push(o.recipientId);
      }
    }
    const out = ops.map(() => ({ receipts: [] as Receipt[], bytes: 0 }));
    if (ids.length === 0) return out;
    const r = await this.db.query<{ id: number; recipient_id: number; sender_id: number; len: number }>(
      `DELETE FROM messages m USING unnest($1::bigint[], $2::bigint[]) AS k(id, r)
       WHERE m.id = k.id AND m.recipient_id = k.r
       RETURNING m.id, m.recipient_id, m.sender_id, octet_length(m.content) AS len`,
      [ids, recipients],
    );
    // Each removed row goes to the Ack that named it (the first, should two name the same id).
    const owner = new Map<string, number>();
    ops.forEach((o, k) => {
      for (const id of o.ids) if (!owner.has(`${o.recipientId}:${id}`)) owner.set(`${o.recipientId}:${id}`, k);
    });
    for (const row of r.rows.sort((a, b) => a.id - b.id)) {
      const slot = out[owner.get(`${row.recipient_id}:${row.id}`)!]!;
      slot.receipts.push({ id: row.id, senderId: row.sender_id });
      slot.bytes += row.len;
    }
    return out;
  }
}
