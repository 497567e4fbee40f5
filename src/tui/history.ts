/**
 * The history file: one SQLite file per server and account, readable only by its owner (0600, in a
 * 0700 directory), in the XDG data directory by default. It keeps the messages (written as they are
 * shown, restored at the next login, searched by /search and /export), the outbox (what the user
 * sent and the server has not accepted yet: written before it goes on the wire, so quitting or a
 * crash loses nothing), and a few settings of the account (the next client message id, a draft
 * kept from a session that was taken over, what /clear hid).
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { maxValue } from '../protocol/fields.js';
import { schema, USERNAME_CHARS, USERNAME_RE } from '../protocol/schema.js';
import { fold } from './text/fold.js';
import type { Delivery, StoredMessage } from './state/types.js';

/** $XDG_DATA_HOME/termchat, or ~/.local/share/termchat. */
export function defaultHistoryDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_DATA_HOME'] || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'termchat');
}

/**
 * A file name that cannot leave the directory, whatever the server is called: only the username
 * alphabet (no separator), and no name made of dots alone.
 */
const safe = (s: string): string => s.replace(new RegExp(`[^${USERNAME_CHARS}]`, 'g'), '_').replace(/^\.+/, '_');

/**
 * Where the history of `account` on `server` ("host:port") lives under `dir`. A valid username is
 * its own file name (its alphabet has no separator, and the suffix makes "." or ".." a plain name),
 * so two accounts never share a file; anything else is made safe.
 */
export const historyFile = (dir: string, server: string, account: string): string =>
  path.join(dir, safe(server), `${USERNAME_RE.test(account) ? account : safe(account)}.sqlite`);

/** A message in the outbox: the Send fields as they went (or will go) on the wire, and what the user typed. */
export interface OutboxRow {
  readonly clientId: number;
  readonly recipient: string;
  readonly text: string;
  readonly content: string;
  readonly flags: number;
  /** When the user sent it (ms). */
  readonly at: number;
}

interface Row {
  id: number;
  sender: string;
  peer: string;
  own: number;
  client_id: number;
  sent_at: number;
  text: string;
  delivery: string | null;
  action: number;
}

const fromRow = (r: Row): StoredMessage => ({
  id: r.id,
  sender: r.sender,
  peer: r.peer,
  own: r.own === 1,
  clientId: r.client_id,
  sentAt: r.sent_at,
  text: r.text,
  delivery: (r.delivery as Delivery | null) ?? undefined,
  ...(r.action ? { action: true } : {}),
});

const toRow = (m: StoredMessage) => ({ ...m, own: m.own ? 1 : 0, delivery: m.delivery ?? null, action: m.action ? 1 : 0 });

const ORDER = 'ORDER BY id, own, sent_at';
const MAX_CLIENT_ID = maxValue(schema.Send.fields.clientId);

export class History {
  private readonly insert: Database.Statement;
  private readonly mark: Database.Statement;

  private constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    /** The account whose history this is (its messages to itself are kept twice: sent and received). */
    private readonly account: string,
  ) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Another termchat of the same account on this machine may write at the same moment.
    db.pragma('busy_timeout = 2000');
    // A small page cache: the history is read once at login and then written a row at a time.
    db.pragma('cache_size = -256');
    db.exec(`CREATE TABLE IF NOT EXISTS messages (
      own INTEGER NOT NULL, id INTEGER NOT NULL, sender TEXT NOT NULL, peer TEXT NOT NULL,
      client_id INTEGER NOT NULL, sent_at REAL NOT NULL, text TEXT NOT NULL, delivery TEXT,
      PRIMARY KEY (own, id, sent_at))`);
    // Files written before /me existed have no action column.
    const columns = db.prepare('PRAGMA table_info(messages)').all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'action')) db.exec('ALTER TABLE messages ADD COLUMN action INTEGER NOT NULL DEFAULT 0');
    db.exec(`CREATE TABLE IF NOT EXISTS outbox (
      client_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, recipient TEXT NOT NULL, text TEXT NOT NULL,
      content TEXT NOT NULL, flags INTEGER NOT NULL, at REAL NOT NULL)`);
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    db.function('fold', { deterministic: true }, (s: unknown) => fold(String(s)));
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO messages (own, id, sender, peer, client_id, sent_at, text, delivery, action)
       VALUES (@own, @id, @sender, @peer, @clientId, @sentAt, @text, @delivery, @action)`,
    );
    this.mark = db.prepare('UPDATE messages SET delivery = ? WHERE own = 1 AND id = ?');
  }

  /** Opens (creating if needed) the history of `account` on `server`, mode 0600. */
  static open(dir: string, server: string, account: string): History {
    const file = historyFile(dir, server, account);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Create the file ourselves so it is never readable by others, not even for a moment.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
    fs.chmodSync(file, 0o600);
    return new History(new Database(file), file, account);
  }

  /**
   * Adds messages (a message already kept is left as it is). The key includes the time, so a server
   * that lost its data and issues old ids again does not have its new messages ignored.
   */
  add(msgs: readonly StoredMessage[]): void {
    if (msgs.length === 0) return;
    this.db.transaction((list: readonly StoredMessage[]) => {
      for (const m of list) this.insert.run(toRow(m));
    })(msgs);
  }

  /** Records the delivery state of messages we sent. */
  setDelivery(ids: readonly number[], delivery: Delivery): void {
    for (const id of ids) this.mark.run(delivery, id);
  }

  /** The newest `limit` messages, oldest first. */
  recent(limit = 10_000): StoredMessage[] {
    const rows = this.db.prepare(`SELECT * FROM (SELECT * FROM messages ORDER BY id DESC, own DESC, sent_at DESC LIMIT ?) ${ORDER}`).all(limit) as Row[];
    return rows.map(fromRow);
  }

  /** Every message, oldest first (for /export), a page at a time; of the two copies of a message to ourselves, the sent one first. */
  *all(page = 1000): Generator<StoredMessage> {
    const stmt = this.db.prepare('SELECT * FROM messages ORDER BY id, own DESC, sent_at LIMIT ? OFFSET ?');
    for (let offset = 0; ; offset += page) {
      const rows = stmt.all(page, offset) as Row[];
      for (const r of rows) yield fromRow(r);
      if (rows.length < page) return;
    }
  }

  /**
   * Messages whose text contains `query`, compared folded (any case, any accents: see text/fold.ts),
   * the newest `limit`, oldest first. A message to ourselves, kept as sent and as received, is found once.
   */
  search(query: string, limit = 500): StoredMessage[] {
    const rows = this.db
      .prepare(`SELECT * FROM (SELECT * FROM messages WHERE instr(fold(text), ?) > 0 ORDER BY id DESC, sent_at DESC LIMIT ?) ${ORDER}`)
      .all(fold(query), limit) as Row[];
    const sent = new Set(rows.filter((r) => r.own === 1 && r.client_id !== 0).map((r) => r.client_id));
    return rows.filter((r) => r.own === 1 || r.sender !== this.account || !sent.has(r.client_id)).map(fromRow);
  }

  /** The outbox, in the order the messages were sent. */
  outbox(): OutboxRow[] {
    const rows = this.db.prepare('SELECT client_id, recipient, text, content, flags, at FROM outbox ORDER BY seq').all() as Array<{
      client_id: number;
      recipient: string;
      text: string;
      content: string;
      flags: number;
      at: number;
    }>;
    return rows.map((r) => ({ clientId: r.client_id, recipient: r.recipient, text: r.text, content: r.content, flags: r.flags, at: r.at }));
  }

  /** Puts a message in the outbox (before it is sent). */
  addOutgoing(m: OutboxRow): void {
    this.db
      .prepare('INSERT OR REPLACE INTO outbox (client_id, seq, recipient, text, content, flags, at) VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM outbox), ?, ?, ?, ?, ?)')
      .run(m.clientId, m.recipient, m.text, m.content, m.flags, m.at);
  }

  /** The server accepted an outbox message: out of the outbox and into the messages, at once. */
  accepted(clientId: number, m: StoredMessage): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM outbox WHERE client_id = ?').run(clientId);
      this.insert.run(toRow(m));
    })();
  }

  /** Takes a message out of the outbox (the server refused it for good). */
  dropOutgoing(clientId: number): void {
    this.db.prepare('DELETE FROM outbox WHERE client_id = ?').run(clientId);
  }

  /**
   * A client message id never used before by this account from this file, so a resend after a
   * restart reuses its own id and a new message never takes one the server still remembers.
   */
  takeClientId(): number {
    return this.db.transaction(() => {
      const stored = Number(this.get('nextClientId') ?? 0);
      const id = stored >= 1 && stored <= MAX_CLIENT_ID ? stored : 1 + Math.floor(Math.random() * MAX_CLIENT_ID);
      this.set('nextClientId', String(id >= MAX_CLIENT_ID ? 1 : id + 1));
      return id;
    }).immediate();
  }

  /** A setting of this account, or undefined. */
  get(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  /** Sets a setting; null removes it. */
  set(key: string, value: string | null): void {
    if (value === null) this.db.prepare('DELETE FROM meta WHERE key = ?').run(key);
    else this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  close(): void {
    this.db.close();
  }

  /** Closes and deletes the file: a deleted account's name must not read its history later. */
  destroy(): void {
    this.db.close();
    for (const f of [this.file, `${this.file}-wal`, `${this.file}-shm`]) fs.rmSync(f, { force: true });
  }
}
