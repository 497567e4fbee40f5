/**
 * Knowing that a data directory held data. When a database is created its id is written both
 * inside it (meta) and beside it (`termchat.id`). A server that finds the marker but an empty or
 * missing database file refuses to start instead of starting afresh, as if nothing had been lost;
 * one that finds a database whose id is not the marker's refuses too (a file copied from elsewhere).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const MARKER_FILE = 'termchat.id';
export const DB_FILE = 'termchat.db';

/** A database in a data directory is not the one the directory held. */
export class DataLost extends Error {
  override readonly name = 'DataLost';
}

/** The marker's id, if the directory has one. */
export function readMarker(dir: string): number | undefined {
  try {
    const n = Number.parseInt(fs.readFileSync(path.join(dir, MARKER_FILE), 'utf8'), 10);
    return Number.isSafeInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the database file is missing or empty. */
export function dbIsEmpty(dir: string): boolean {
  try {
    return fs.statSync(path.join(dir, DB_FILE)).size === 0;
  } catch {
    return true;
  }
}

/** Throws DataLost when the directory's marker says it held a database and the database file is missing or empty. Call before opening it. */
export function checkNotLost(dir: string): void {
  const marker = readMarker(dir);
  if (marker !== undefined && dbIsEmpty(dir)) {
    throw new DataLost(
      `the data directory ${dir} held a termchat database (${MARKER_FILE} is there) but ${DB_FILE} is missing or empty: ` +
        `restore it from a backup (README, "Backups"), or move ${MARKER_FILE} away to start with an empty database`,
    );
  }
}

/** A new random database id. */
export function newDataId(): number {
  return crypto.randomInt(1, 2 ** 47);
}

/** Writes the marker durably (the file, then its directory). */
export function writeMarker(dir: string, id: number): void {
  const file = path.join(dir, MARKER_FILE);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  fs.writeSync(fd, `${id}\n`);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  const dfd = fs.openSync(dir, 'r');
  fs.fsyncSync(dfd);
  fs.closeSync(dfd);
}

/** After opening: the database's id and the marker agree, or the marker is written (new or older directories). */
export function reconcileMarker(dir: string, dbId: number | undefined, setDbId: (id: number) => void): void {
  const marker = readMarker(dir);
  if (dbId === undefined) {
    const id = marker ?? newDataId();
    setDbId(id);
    if (marker === undefined) writeMarker(dir, id);
    return;
  }
  if (marker === undefined) writeMarker(dir, dbId);
  else if (marker !== dbId) {
    throw new DataLost(
      `${DB_FILE} in ${dir} is not the database this directory held (its id ${dbId}, ${MARKER_FILE} says ${marker}): ` +
        `put the right file back, or move ${MARKER_FILE} away to use this one`,
    );
  }
}
