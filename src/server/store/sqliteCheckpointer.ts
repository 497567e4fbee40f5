/**
 * Copies the SQLite write-ahead log back into the database file from a thread of its own. Left to
 * the writer, a checkpoint (several MB written and fsynced) would stall the commit that triggered it
 * and every Send waiting on it; here it runs beside the writer's commits (a PASSIVE checkpoint never
 * blocks them), and the writer checkpoints itself only as a backstop (see sqliteDb.ts).
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

const { dataDir, everyMs } = workerData as { dataDir: string; everyMs: number };
const db = new Database(path.join(dataDir, 'termchat.db'), { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or failing disk: the next round tries again, and the writer's backstop still holds.
  }
}, everyMs);

parentPort!.on('message', (m: { type: 'close' }) => {
  if (m.type !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
