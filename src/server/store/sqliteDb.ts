/**
 * The SQLite database itself (better-sqlite3, synchronous): schema and migration, and one batch of
 * operations run as one transaction. It runs inside the store's worker thread (sqliteWorker.ts),
 * never on the server's event loop. WAL with synchronous=FULL: a commit is durable when it returns.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { checkNotLost, DataLost, DB_FILE, reconcileMarker } from './dataMarker.js';
import { contentDigest } from './digest.js';
import type { Account, DeleteResult, Receipt, InsertOp, InsertResult, Op, OpenState, OpResult, StoredMessage } from './store.js';
import { isGroupOp, mergePages } from './groupOps.js';
import { SqliteGroups } from './sqliteGroups.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS accounts_live_name ON accounts(name) WHERE deleted_at IS NULL;
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient_id INTEGER NOT NULL,
  sender_id INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  content TEXT NOT NULL,
  client_id INTEGER NOT NULL DEFAULT 0,
  flags INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_by_recipient ON messages(recipient_id, id);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sends (
  sender_id INTEGER NOT NULL,
  client_id INTEGER NOT NULL,
  message_id INTEGER NOT NULL,
  recipient_id INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  digest INTEGER,
  PRIMARY KEY (sender_id, client_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS receipts (
  sender_id INTEGER NOT NULL,
  message_id INTEGER NOT NULL,
  PRIMARY KEY (sender_id, message_id)
) WITHOUT ROWID;
`;

/**
 * Claims resend records for `rows` Sends: a record of the same (sender, clientId) still inside the
 * window (the last parameter, ms) keeps it, and RETURNING names the messages that claimed theirs.
 */
const claimSql = (rows: number) =>
  `INSERT INTO sends (sender_id, client_id, message_id, recipient_id, sent_at, digest) VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?)').join(', ')}
   ON CONFLICT (sender_id, client_id) DO UPDATE SET
     message_id = excluded.message_id, recipient_id = excluded.recipient_id,
     sent_at = excluded.sent_at, digest = excluded.digest, acked_at = NULL
   WHERE sends.sent_at < excluded.sent_at - ?
   RETURNING message_id`;
const insertSql = (rows: number) =>
  `INSERT INTO messages (id, recipient_id, sender_id, sent_at, content, client_id, flags) VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')}`;

/** Removes up to `rows` messages of one recipient (first parameter), saying what each was. */
const ackSql = (rows: number) =>
  `DELETE FROM messages WHERE recipient_id = ? AND id IN (${Array(rows).fill('?').join(', ')})
   RETURNING id, sender_id, client_id, length(CAST(content AS BLOB)) AS len`;
/** Marks the resend records of `rows` acknowledged messages (sender, client id, message id) with the time (first parameter). */
const markSql = (rows: number) =>
  `UPDATE sends SET acked_at = ? WHERE (sender_id, client_id, message_id) IN (VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')})`;

/** Operations that add data: refused on a full disk while the rest still run (runShrinking). */
const GROWING: ReadonlySet<Op['op']> = new Set(['insert', 'createAccount', 'addReceipts', 'reserveIds', 'bindSession', 'groupInsert', 'groupCreate', 'groupJoin', 'groupInvite']);

/** Columns added after 0.1.0, for data directories created by it. */
const ADDED_COLUMNS: Array<[table: string, column: string, decl: string]> = [
  ['messages', 'client_id', 'INTEGER NOT NULL DEFAULT 0'],
  ['messages', 'flags', 'INTEGER NOT NULL DEFAULT 0'],
  ['sends', 'digest', 'INTEGER'],
  ['sends', 'acked_at', 'INTEGER'],
];

interface MessageRow {
  id: number;
  sender_name: string;
  sender_deleted: number;
  sent_at: number;
  content: string;
  client_id: number;
  flags: number;
}

export class SqliteDb {
  private readonly db: Database.Database;
  private readonly s;
  private readonly batchTx: (ops: readonly Op[]) => OpResult[];
  private readonly groups: SqliteGroups;
  /** Accounts deleted since start: a Send queued before the deletion committed must not land in them. */
  private readonly deleted = new Set<number>();

  /** What `PRAGMA quick_check` found at open ('ok', or the problems), and how long it took. */
  readonly integrity: { problems: string[]; ms: number };

  constructor(dataDir: string) {
    // A directory that held data must not silently start afresh on an empty file.
    checkNotLost(dataDir);
    const db = new Database(path.join(dataDir, DB_FILE));
    this.db = db;
    db.pragma('journal_mode = WAL');
    // better-sqlite3 leaves WAL at NORMAL, which can lose the last commits on power loss.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    // Checkpoints run on their own thread (sqliteCheckpointer.ts); the writer checkpoints itself only
    // if the log grows this large (pages of 4 KiB) without them.
    db.pragma('wal_autocheckpoint = 16384');
    db.exec(SCHEMA);
    for (const [table, column, decl] of ADDED_COLUMNS) {
      const cols = db.prepare<[], { name: string }>(`PRAGMA table_info(${table})`).all();
      if (!cols.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${decl}`);
    }
    db.exec('CREATE INDEX IF NOT EXISTS sends_acked ON sends(sender_id, acked_at) WHERE acked_at IS NOT NULL');
    this.groups = new SqliteGroups(db);
    const began = performance.now();
    const check = db.pragma('quick_check(20)') as Array<{ quick_check: string }>;
    const problems = check.map((r) => r.quick_check).filter((p) => p !== 'ok');
    this.integrity = { problems, ms: Math.round(performance.now() - began) };
    if (problems.length > 0) {
      db.close();
      throw new DataLost(`${DB_FILE} in ${dataDir} is damaged (${problems.slice(0, 3).join('; ')}): restore it from a backup (README, "Backups")`);
    }
    const row = db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'data_id'").get();
    reconcileMarker(dataDir, row?.value, (id) => db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('data_id', ?)").run(id));

    this.s = {
      insertAccount: db.prepare('INSERT INTO accounts (name, hash, created_at) VALUES (?, ?, ?)'),
      liveByName: db.prepare<[string], Account>('SELECT id, name, hash FROM accounts WHERE name = ? AND deleted_at IS NULL'),
      allLive: db.prepare<[], { name: string; id: number }>('SELECT name, id FROM accounts WHERE deleted_at IS NULL'),
      maxIds: db.prepare<[], { m: number | null; q: number | null; r: number | null }>(
        `SELECT (SELECT max(id) FROM messages) AS m, (SELECT seq FROM sqlite_sequence WHERE name = 'messages') AS q,
                (SELECT value FROM meta WHERE key = 'reserved_ids') AS r`,
      ),
      reserveIds: db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('reserved_ids', ?)"),
      markDeleted: db.prepare("UPDATE accounts SET deleted_at = ?, hash = '' WHERE id = ? AND deleted_at IS NULL"),
      dropQueue: db.prepare('DELETE FROM messages WHERE recipient_id = ?'),
      dropSends: db.prepare('DELETE FROM sends WHERE sender_id = ?'),
      countMatching: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM accounts WHERE deleted_at IS NULL AND name GLOB ?'),
      pageMatching: db.prepare<[string, number, number], { name: string }>(
        'SELECT name FROM accounts WHERE deleted_at IS NULL AND name GLOB ? ORDER BY name LIMIT ? OFFSET ?',
      ),
      findSend: db.prepare<[number, number], { message_id: number; recipient_id: number; sent_at: number; digest: number | null }>(
        'SELECT message_id, recipient_id, sent_at, digest FROM sends WHERE sender_id = ? AND client_id = ?',
      ),
      insertMessage: db.prepare(
        'INSERT INTO messages (id, recipient_id, sender_id, sent_at, content, client_id, flags) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      // Records a send unless a record of the same (sender, clientId) is still inside the window
      // (then nothing changes, and the caller looks at that record): one statement in the common case.
      claimSend: db.prepare(
        `INSERT INTO sends (sender_id, client_id, message_id, recipient_id, sent_at, digest) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (sender_id, client_id) DO UPDATE SET
           message_id = excluded.message_id, recipient_id = excluded.recipient_id,
           sent_at = excluded.sent_at, digest = excluded.digest, acked_at = NULL
         WHERE sends.sent_at < ?`,
      ),
      pruneSends: db.prepare('DELETE FROM sends WHERE sent_at < ?'),
      countQueued: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM messages WHERE recipient_id = ?'),
      countQueuedAfter: db.prepare<[number, number], { n: number }>('SELECT count(*) AS n FROM messages WHERE recipient_id = ? AND id > ?'),
      pageQueued: db.prepare<[number, number, number], MessageRow>(
        `SELECT m.id, a.name AS sender_name, (a.deleted_at IS NOT NULL) AS sender_deleted, m.sent_at, m.content,
                m.client_id, m.flags
         FROM messages m JOIN accounts a ON a.id = m.sender_id
         WHERE m.recipient_id = ? AND m.id > ? ORDER BY m.id LIMIT ?`,
      ),
      recentReceipts: db.prepare<[number, number], { message_id: number }>('SELECT message_id FROM sends WHERE sender_id = ? AND acked_at >= ?'),
      queueTotals: db.prepare<[], { r: number; n: number; b: number }>(
        'SELECT recipient_id AS r, count(*) AS n, sum(length(CAST(content AS BLOB))) AS b FROM messages GROUP BY recipient_id',
      ),
      // A deleted sender keeps no receipts (it will never log in again).
      addReceipt: db.prepare(
        `INSERT OR IGNORE INTO receipts (sender_id, message_id)
         SELECT ?, ? WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ? AND deleted_at IS NULL)`,
      ),
      takeReceipts: db.prepare<[number], { message_id: number }>('DELETE FROM receipts WHERE sender_id = ? RETURNING message_id'),
      dropReceipts: db.prepare('DELETE FROM receipts WHERE sender_id = ?'),
    };

    // The fast path runs the batch straight through. Should any operation throw, the whole
    // transaction rolls back and the batch runs again with each operation in its own savepoint,
    // so the one that fails leaves the others intact.
    const one = db.transaction((op: Op) => this.apply(op));
    // The fast pass: a run of Sends is two multi-row statements however many it holds.
    const fast = db.transaction((ops: readonly Op[]) => {
      const out: OpResult[] = new Array(ops.length);
      for (let i = 0; i < ops.length; ) {
        if (ops[i]!.op !== 'insert') {
          out[i] = { ok: true, value: this.apply(ops[i]!) };
          i++;
          continue;
        }
        let j = i + 1;
        while (j < ops.length && ops[j]!.op === 'insert') j++;
        const results = this.insertRun(ops.slice(i, j) as InsertOp[]);
        for (let k = 0; k < results.length; k++) out[i + k] = { ok: true, value: results[k] };
        i = j;
      }
      return out;
    });
    const careful = db.transaction((ops: readonly Op[]) =>
      ops.map((op): OpResult => {
        try {
          return { ok: true, value: one(op) };
        } catch (err) {
          // Its savepoint is undone: so is anything it kept in memory.
          this.groups.forgetAll();
          return { ok: false, error: (err as Error).message };
        }
      }),
    );
    this.batchTx = (ops: readonly Op[]): OpResult[] => {
      const deleted = new Set(this.deleted);
      try {
        return fast(ops);
      } catch {
        // What the rolled-back pass did to memory goes too.
        this.deleted.clear();
        for (const id of deleted) this.deleted.add(id);
        this.groups.forgetAll();
        try {
          return careful(ops);
        } catch (err) {
          this.groups.forgetAll();
          throw err;
        }
      }
    };
  }

  /** What the service needs at start. */
  openState(): OpenState {
    const { m, q, r } = this.s.maxIds.get()!;
    return {
      accounts: this.s.allLive.all().map((a) => [a.name, a.id]),
      nextMessageId: Math.max(m ?? 0, q ?? 0, r ?? 0) + 1,
      queues: this.s.queueTotals.all().map((x) => [x.r, x.n, x.b]),
    };
  }

  /** Runs a batch as one transaction; throws only if the transaction as a whole failed. */
  run(ops: readonly Op[]): OpResult[] {
    return this.batchTx(ops);
  }

  /**
   * On a full disk: runs the batch's reads and deletes (an Ack frees space) and refuses what would
   * grow the data with `error`. Throws if even that transaction fails.
   */
  runShrinking(ops: readonly Op[], error: string): OpResult[] {
    const kept = ops.filter((op) => !GROWING.has(op.op));
    const done = kept.length > 0 ? this.batchTx(kept) : [];
    let i = 0;
    return ops.map((op): OpResult => (GROWING.has(op.op) ? { ok: false, error } : done[i++]!));
  }

  close(): void {
    this.db.close();
  }

  private apply(op: Op): unknown {
    const s = this.s;
    switch (op.op) {
      case 'insert':
        return this.insert(op);
      case 'ack': {
        // Multi-row: the messages go in chunks, and their resend records are marked in one more.
        const receipts: Receipt[] = [];
        let bytes = 0;
        const now = Date.now();
        for (let at = 0; at < op.ids.length; at += SqliteDb.CHUNK) {
          const ids = op.ids.slice(at, at + SqliteDb.CHUNK);
          const rows = this.statement(this.ackMany, ids.length, ackSql).all(op.recipientId, ...ids) as Array<{
            id: number;
            sender_id: number;
            client_id: number;
            len: number;
          }>;
          rows.sort((x, y) => x.id - y.id);
          const marked: number[] = [];
          for (const row of rows) {
            receipts.push({ id: row.id, senderId: row.sender_id });
            bytes += row.len;
            if (row.client_id !== 0) marked.push(row.sender_id, row.client_id, row.id);
          }
          if (marked.length > 0) this.statement(this.markMany, marked.length / 3, markSql).run(now, ...marked);
        }
        return { receipts, bytes };
      }
      case 'addReceipts':
        for (const r of op.receipts) s.addReceipt.run(r.senderId, r.id, r.senderId);
        return null;
      case 'recentReceipts':
        return s.recentReceipts
          .all(op.senderId, op.since)
          .map((r) => r.message_id)
          .sort((a, b) => a - b);
      case 'takeReceipts':
        return s.takeReceipts
          .all(op.senderId)
          .map((r) => r.message_id)
          .sort((a, b) => a - b);
      case 'fetch': {
        const rows = s.pageQueued.all(op.recipientId, op.after ?? 0, op.max);
        const total = s.countQueuedAfter.get(op.recipientId, op.after ?? 0)!.n;
        const messages: StoredMessage[] = rows.map((r) => ({
          id: r.id,
          senderName: r.sender_name,
          clientId: r.client_id,
          flags: r.flags,
          senderDeleted: r.sender_deleted !== 0,
          sentAt: r.sent_at,
          content: r.content,
        }));
        return mergePages({ messages, total }, this.groups.fetch(op.recipientId, op.max, op.after), op.max);
      }
      case 'count':
        return s.countQueued.get(op.recipientId)!.n + this.groups.count(op.recipientId);
      case 'findAccount':
        return s.liveByName.get(op.name);
      case 'createAccount':
        if (s.liveByName.get(op.name)) return undefined;
        return Number(s.insertAccount.run(op.name, op.hash, Date.now()).lastInsertRowid);
      case 'deleteAccount': {
        const waiting = s.countQueued.get(op.accountId)!.n + this.groups.count(op.accountId);
        if (waiting > 0 && !op.force) return { deleted: false, waiting } satisfies DeleteResult;
        const groups = this.groups.leaveAll(op.accountId);
        s.markDeleted.run(Date.now(), op.accountId);
        s.dropQueue.run(op.accountId);
        s.dropSends.run(op.accountId);
        s.dropReceipts.run(op.accountId);
        this.deleted.add(op.accountId);
        return (groups.length > 0 ? { deleted: true, groups } : { deleted: true }) satisfies DeleteResult;
      }
      case 'list':
        return {
          total: s.countMatching.get(op.pattern)!.n,
          names: s.pageMatching.all(op.pattern, op.limit, op.offset).map((r) => r.name),
        };
      case 'prune':
        return s.pruneSends.run(op.before).changes;
      case 'reserveIds':
        s.reserveIds.run(op.upTo);
        return null;
      default:
        if (isGroupOp(op)) return this.groups.apply(op);
        throw new Error(`unknown store operation ${(op as { op: string }).op}`);
    }
  }

  /** Rows of a multi-row statement, at most (its parameters stay far under SQLite's limit). */
  private static readonly CHUNK = 32;
  private readonly claimMany = new Map<number, Database.Statement>();
  private readonly insertMany = new Map<number, Database.Statement>();
  private readonly ackMany = new Map<number, Database.Statement>();
  private readonly markMany = new Map<number, Database.Statement>();

  /**
   * A run of Sends as multi-row statements: the resend records first (those still inside their
   * window keep theirs: RETURNING says which were claimed), then the messages. The same result as
   * insert() one by one, in far fewer calls into SQLite.
   */
  private insertRun(ops: readonly InsertOp[]): InsertResult[] {
    const windowMs = ops[0]!.sentAt - ops[0]!.dedupSince;
    if (ops.some((o) => o.sentAt - o.dedupSince !== windowMs)) return ops.map((o) => this.insert(o));
    const out: Array<InsertResult | undefined> = new Array(ops.length);
    const digests = new Map<InsertOp, number>();
    const claiming: InsertOp[] = [];
    for (let k = 0; k < ops.length; k++) {
      const o = ops[k]!;
      if (this.deleted.has(o.recipientId)) out[k] = { stored: false, noSuchRecipient: true };
      else if (o.clientId !== 0) {
        digests.set(o, contentDigest(o.content));
        claiming.push(o);
      }
    }
    const claimed = new Set<number>();
    for (let at = 0; at < claiming.length; at += SqliteDb.CHUNK) {
      const part = claiming.slice(at, at + SqliteDb.CHUNK);
      const params: unknown[] = [];
      for (const o of part) params.push(o.senderId, o.clientId, o.id, o.recipientId, o.sentAt, digests.get(o));
      params.push(windowMs);
      for (const r of this.statement(this.claimMany, part.length, claimSql).all(...params) as Array<{ message_id: number }>) claimed.add(r.message_id);
    }
    const storing: InsertOp[] = [];
    for (let k = 0; k < ops.length; k++) {
      const o = ops[k]!;
      if (out[k] !== undefined) continue;
      if (o.clientId === 0 || claimed.has(o.id)) {
        storing.push(o);
        out[k] = { stored: true };
        continue;
      }
      const prev = this.s.findSend.get(o.senderId, o.clientId)!;
      const same = prev.recipient_id === o.recipientId && (prev.digest === null || prev.digest === digests.get(o));
      out[k] = same ? { stored: false, duplicateOf: prev.message_id } : { stored: false, reused: true };
    }
    for (let at = 0; at < storing.length; at += SqliteDb.CHUNK) {
      const part = storing.slice(at, at + SqliteDb.CHUNK);
      const params: unknown[] = [];
      for (const o of part) params.push(o.id, o.recipientId, o.senderId, o.sentAt, o.content.toString('latin1'), o.clientId, o.flags);
      this.statement(this.insertMany, part.length, insertSql).run(...params);
    }
    return out as InsertResult[];
  }

  /** The multi-row statement for `rows` rows, prepared once. */
  private statement(cache: Map<number, Database.Statement>, rows: number, sql: (rows: number) => string): Database.Statement {
    let st = cache.get(rows);
    if (st === undefined) cache.set(rows, (st = this.db.prepare(sql(rows))));
    return st;
  }

  private insert(i: InsertOp): InsertResult {
    const s = this.s;
    if (this.deleted.has(i.recipientId)) return { stored: false, noSuchRecipient: true };
    if (i.clientId !== 0) {
      const digest = contentDigest(i.content);
      if (s.claimSend.run(i.senderId, i.clientId, i.id, i.recipientId, i.sentAt, digest, i.dedupSince).changes === 0) {
        const prev = s.findSend.get(i.senderId, i.clientId)!;
        const same = prev.recipient_id === i.recipientId && (prev.digest === null || prev.digest === digest);
        return same ? { stored: false, duplicateOf: prev.message_id } : { stored: false, reused: true };
      }
    }
    s.insertMessage.run(i.id, i.recipientId, i.senderId, i.sentAt, i.content.toString('latin1'), i.clientId, i.flags);
    return { stored: true };
  }
}
