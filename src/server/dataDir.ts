/**
 * The data directory: private to the server's user (0700, database files 0600) and held by one
 * server at a time. The holder's pid is in `server.pid`; a second server on the same directory
 * refuses to start and names it. A file left behind by a server that died is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'server.pid';

/** The database files SQLite keeps in the directory. */
const DB_FILES = ['termchat.db', 'termchat.db-wal', 'termchat.db-shm'];

export class DataDirInUse extends Error {
  override readonly name = 'DataDirInUse';
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`data directory ${dir} is in use by another termchat-server (pid ${pid}); stop it, or pick another --data`);
  }
}

/** Lock files this process holds (a file naming this pid and not here was left by an earlier process that had the same pid, as in a container). */
const held = new Set<string>();

/** Whether a process with this pid exists (EPERM: it does, as another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates the directory (0700) or tightens an existing one, makes the database files 0600 (SQLite
 * gives its -wal and -shm files the database file's mode, so creating that one 0600 is enough),
 * and takes the lock. Returns the function that releases it.
 */
export function claimDataDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const lock = path.join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(lock, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      held.add(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new DataDirInUse(dir, holder(lock) ?? 0);
        throw err;
      }
      const pid = holder(lock);
      if (pid !== undefined && (pid === process.pid ? held.has(lock) : alive(pid))) throw new DataDirInUse(dir, pid);
      // Left by a server that is gone: take it over (if two start at once, one of them wins the next create).
      fs.rmSync(lock, { force: true });
    }
  }
  for (const f of DB_FILES) {
    const p = path.join(dir, f);
    if (f === 'termchat.db') fs.closeSync(fs.openSync(p, 'a', 0o600));
    if (fs.existsSync(p)) fs.chmodSync(p, 0o600);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.delete(lock);
    if (holder(lock) === process.pid) fs.rmSync(lock, { force: true });
  };
}

function holder(lock: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(lock, 'utf8'), 10);
    return Number.isFinite(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
