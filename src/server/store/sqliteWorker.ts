/**
 * The SQLite store's worker thread: owns the database connection, runs each batch it is sent as
 * one transaction (including its fsync) and posts the results back. The server's event loop never
 * waits for SQLite or the disk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DiskReserve, isDiskFull } from './diskReserve.js';
import { SqliteDb } from './sqliteDb.js';
import { packResults, unpackBatch, type WireBatch } from './sqliteWire.js';

export type ToWorker = { type: 'batch'; seq: number; batch: WireBatch } | { type: 'close' };
export type FromWorker =
  | { type: 'ready'; state: ReturnType<SqliteDb['openState']>; integrity: SqliteDb['integrity'] }
  | { type: 'done'; seq: number; results: ReturnType<typeof packResults> }
  | { type: 'failed'; seq: number; error: string }
  | { type: 'openFailed'; error: string }
  | { type: 'closed' };

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

const options = workerData as { dataDir: string; reserveBytes?: number };
let db: SqliteDb;
const reserve = new DiskReserve(options.dataDir, options.reserveBytes);
try {
  db = new SqliteDb(options.dataDir);
  reserve.ensure();
  post({ type: 'ready', state: db.openState(), integrity: db.integrity });
} catch (err) {
  post({ type: 'openFailed', error: (err as Error).message });
  process.exit(1);
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'close') {
    db.close();
    post({ type: 'closed' });
    port.close();
    return;
  }
  const ops = unpackBatch(m.batch);
  try {
    post({ type: 'done', seq: m.seq, results: packResults(ops, db.run(ops)) });
    reserve.ensure();
  } catch (err) {
    const error = (err as Error).message;
    // A full disk: the reserve's room lets the deletes (and reads) of the batch commit.
    if (isDiskFull(error) && reserve.release()) {
      try {
        post({ type: 'done', seq: m.seq, results: packResults(ops, db.runShrinking(ops, error)) });
        return;
      } catch {
        // Not even that: the batch fails as a whole below.
      }
    }
    // The transaction as a whole failed (disk full, I/O error): nothing of the batch is stored.
    post({ type: 'failed', seq: m.seq, error });
  }
});
