/**
 * The SQLite store, the embedded default. The database lives in a worker thread (sqliteWorker.ts):
 * the event loop hands it a batch and goes on serving; the worker commits the batch as one
 * transaction (WAL, synchronous=FULL: one fsync per batch) and posts the results back.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Op, OpenState, OpResult, Store } from './store.js';
import type { FromWorker, ToWorker } from './sqliteWorker.js';
import { packBatch, unpackResults } from './sqliteWire.js';

export interface SqliteStoreOptions {
  /** Directory for the database files; created if missing. */
  dataDir: string;
  /** Room kept on disk so that deletes can commit when it fills (diskReserve.ts); 0: none. */
  reserveBytes?: number;
  /** Told what the integrity check at open found. */
  log?: { info(obj: object, msg?: string): void };
}

interface Waiting {
  resolve: (r: OpResult[]) => void;
  reject: (e: Error) => void;
}

/** How often the checkpointer thread copies the write-ahead log into the database file. */
const CHECKPOINT_EVERY_MS = 200;

/** Starts a worker from a module beside this file: the compiled .js, or under tsx (tests, bench) the .ts source. */
function startWorker(name: string, workerData: object): Worker {
  const self = new URL(import.meta.url);
  const ts = self.pathname.endsWith('.ts');
  const entry = new URL(`./${name}${ts ? '.ts' : '.js'}`, self);
  if (!ts) return new Worker(entry, { workerData });
  // Workers do not inherit tsx's module hooks: register them first, then load the TypeScript entry.
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData });
}

export class SqliteStore implements Store {
  private worker: Worker | undefined;
  private checkpointer: Worker | undefined;
  private checkpointerGone: Promise<void> = Promise.resolve();
  private readonly waiting = new Map<number, Waiting>();
  private seq = 0;
  private closed: Promise<void> | undefined;
  private dead: Error | undefined;
  private exited = false;
  /** Batches committed and operations they carried (for tests and benchmarks). */
  readonly stats = { commits: 0, ops: 0 };

  constructor(private readonly opts: SqliteStoreOptions) {}

  open(): Promise<OpenState> {
    fs.mkdirSync(this.opts.dataDir, { recursive: true });
    const w = startWorker('sqliteWorker', { dataDir: this.opts.dataDir, reserveBytes: this.opts.reserveBytes });
    this.worker = w;
    return new Promise((resolve, reject) => {
      w.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready':
            this.opts.log?.info({ dataDir: this.opts.dataDir, ms: m.integrity.ms }, 'database integrity check: ok');
            // The schema exists now, so the checkpointer can open the database.
            this.checkpointer = startWorker('sqliteCheckpointer', { dataDir: this.opts.dataDir, everyMs: CHECKPOINT_EVERY_MS });
            this.checkpointerGone = new Promise((gone) => this.checkpointer!.once('exit', () => gone()));
            // Without it the writer still checkpoints by itself (its backstop): not worth failing for.
            this.checkpointer.on('error', () => undefined);
            resolve(m.state);
            break;
          case 'openFailed':
            reject(new Error(`cannot open the database in ${this.opts.dataDir}: ${m.error}`));
            break;
          case 'done': {
            const r = unpackResults(m.results);
            this.stats.commits++;
            this.stats.ops += r.length;
            this.settle(m.seq)?.resolve(r);
            break;
          }
          case 'failed':
            this.settle(m.seq)?.reject(new Error(m.error));
            break;
          case 'closed':
            break;
        }
      });
      w.on('error', (err) => {
        this.dead = err;
        reject(err);
        for (const x of this.waiting.values()) x.reject(err);
        this.waiting.clear();
      });
      w.on('exit', () => {
        this.exited = true;
        const err = (this.dead ??= new Error('the store worker exited'));
        for (const x of this.waiting.values()) x.reject(err);
        this.waiting.clear();
      });
    });
  }

  run(batch: readonly Op[]): Promise<OpResult[]> {
    const w = this.worker;
    if (!w || this.closed) return Promise.reject(new Error('store is closed'));
    if (this.dead) return Promise.reject(this.dead);
    const seq = ++this.seq;
    const { wire, transfer } = packBatch(batch);
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      w.postMessage({ type: 'batch', seq, batch: wire } satisfies ToWorker, transfer);
    });
  }

  close(): Promise<void> {
    const w = this.worker;
    if (!w) return Promise.resolve();
    this.checkpointer?.postMessage({ type: 'close' });
    return (this.closed ??= new Promise<void>((resolve) => {
      // A worker that could not open the database is gone already.
      if (this.exited) {
        void this.checkpointerGone.then(resolve);
        return;
      }
      w.once('exit', () => void this.checkpointerGone.then(resolve));
      if (this.dead) {
        void w.terminate();
        return;
      }
      w.postMessage({ type: 'close' } satisfies ToWorker);
    }));
  }

  private settle(seq: number): Waiting | undefined {
    const x = this.waiting.get(seq);
    this.waiting.delete(seq);
    return x;
  }
}
