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
}

interface Waiting {
  resolve: (r: OpResult[]) => void;
  reject: (e: Error) => void;
}

/** The worker's entry: the compiled .js beside this file, or under tsx (tests, bench) the .ts source. */
function startWorker(dataDir: string): Worker {
  const self = new URL(import.meta.url);
  const ts = self.pathname.endsWith('.ts');
  const entry = new URL(ts ? './sqliteWorker.ts' : './sqliteWorker.js', self);
  if (!ts) return new Worker(entry, { workerData: { dataDir } });
  // Workers do not inherit tsx's module hooks: register them first, then load the TypeScript entry.
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData: { dataDir } });
}

export class SqliteStore implements Store {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private seq = 0;
  private closed: Promise<void> | undefined;
  private dead: Error | undefined;
  /** Batches committed and operations they carried (for tests and benchmarks). */
  readonly stats = { commits: 0, ops: 0 };

  constructor(private readonly opts: SqliteStoreOptions) {}

  open(): Promise<OpenState> {
    fs.mkdirSync(this.opts.dataDir, { recursive: true });
    const w = startWorker(this.opts.dataDir);
    this.worker = w;
    return new Promise((resolve, reject) => {
      w.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready':
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
    return (this.closed ??= new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
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
