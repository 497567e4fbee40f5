/**
 * `termchat-server --backup FILE`: a consistent copy of the SQLite database, taken while a server
 * runs on it (SQLite's VACUUM INTO reads one snapshot: the database and its write-ahead log
 * together). Copying termchat.db with cp is not a backup: what sits in termchat.db-wal is missing.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { DB_FILE } from './store/dataMarker.js';

/** Writes a copy of the database in `dataDir` to `file` (which must not exist) and syncs it to disk; returns its size. */
export function backup(dataDir: string, file: string): number {
  const source = path.join(dataDir, DB_FILE);
  if (!fs.existsSync(source) || fs.statSync(source).size === 0) throw new Error(`no termchat database in ${dataDir}`);
  if (fs.existsSync(file)) throw new Error(`${file} exists already; give a new file name`);
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    db.prepare('VACUUM INTO ?').run(file);
  } finally {
    db.close();
  }
  fs.chmodSync(file, 0o600);
  const fd = fs.openSync(file, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  return fs.statSync(file).size;
}
