/**
 * The message history on disk: one SQLite file per server and account, readable only by its owner
 * (0600, in a 0700 directory), in the XDG data directory by default. Messages are written as they
 * are shown, restored at the next login, and searched by /search.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { USERNAME_CHARS, USERNAME_RE } from '../protocol/schema.js';
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

interface Row {
  id: number;
  sender: string;
  peer: string;
  own: number;
  client_id: number;
  sent_at: number;
  text: string;
  delivery: string | null;
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
});

export class History {
  private readonly insert: Database.Statement;
  private readonly mark: Database.Statement;

  private constructor(
    private readonly db: Database.Database,
    private readonly file: string,
  ) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE IF NOT EXISTS messages (
      own INTEGER NOT NULL, id INTEGER NOT NULL, sender TEXT NOT NULL, peer TEXT NOT NULL,
      client_id INTEGER NOT NULL, sent_at REAL NOT NULL, text TEXT NOT NULL, delivery TEXT,
      PRIMARY KEY (own, id, sent_at))`);
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO messages (own, id, sender, peer, client_id, sent_at, text, delivery)
       VALUES (@own, @id, @sender, @peer, @clientId, @sentAt, @text, @delivery)`,
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
    return new History(new Database(file), file);
  }

  /**
   * Adds messages (a message already kept is left as it is). The key includes the time, so a server
   * that lost its data and issues old ids again does not have its new messages ignored.
   */
  add(msgs: readonly StoredMessage[]): void {
    if (msgs.length === 0) return;
    const tx = this.db.transaction((list: readonly StoredMessage[]) => {
      for (const m of list) {
        this.insert.run({ ...m, own: m.own ? 1 : 0, delivery: m.delivery ?? null });
      }
    });
    tx(msgs);
  }

  /** Records the delivery state of messages we sent. */
  setDelivery(ids: readonly number[], delivery: Delivery): void {
    for (const id of ids) this.mark.run(delivery, id);
  }

  /** The newest `limit` messages, oldest first. */
  recent(limit = 10_000): StoredMessage[] {
    const rows = this.db
      .prepare('SELECT * FROM (SELECT * FROM messages ORDER BY id DESC, own DESC, sent_at DESC LIMIT ?) ORDER BY id, own, sent_at')
      .all(limit) as Row[];
    return rows.map(fromRow);
  }

  /** Messages whose text contains `query` (any case), newest `limit`, oldest first. */
  search(query: string, limit = 500): StoredMessage[] {
    const pattern = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = this.db
      .prepare(
        "SELECT * FROM (SELECT * FROM messages WHERE text LIKE ? ESCAPE '\\' ORDER BY id DESC, sent_at DESC LIMIT ?) ORDER BY id, own, sent_at",
      )
      .all(pattern, limit) as Row[];
    return rows.map(fromRow);
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
