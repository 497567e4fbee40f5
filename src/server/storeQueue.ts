/**
 * Group commit in front of a Store. Operations queue here in the order the service issues them;
 * while the store commits one batch, the next one gathers, and it is handed over the moment the
 * store is free. So under load a batch holds everything that arrived during one commit (one fsync
 * for all of it), and when idle an operation waits for no timer: it ships at the end of the turn.
 *
 * An operation may ask to be held a little (`holdMs`): a Send already pushed to its recipient waits
 * that long for the recipient's Ack, which takes it back (cancel) so it is never written at all.
 * Order is kept: what comes after a held operation waits with it.
 */
import type { Op, OpResult, Store } from './store/store.js';

export type Done = (r: OpResult) => void;

const ignore: Done = () => {};

export class StoreQueue {
  /** Operations not yet shipped, by sequence number from shippedUpTo; undefined once cancelled. */
  private ops: Array<Op | undefined> = [];
  private dones: Done[] = [];
  /** performance.now() before which each operation is not shipped (0: at once). */
  private notBefore: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Sequence number of the first operation not yet handed to the store. */
  private shippedUpTo = 0;
  private nextSeq = 0;
  private busy = false;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly store: Store,
    private readonly maxBatch = 1024,
    /** Told of each batch: how long it took, how many operations, and the error if the whole batch failed. */
    private readonly observe?: (seconds: number, ops: number, failed: string | undefined) => void,
  ) {}

  /** Queues `op`; `done` gets its result once the batch that carries it is durable. Returns its sequence number. */
  add(op: Op, done: Done, holdMs = 0): number {
    this.ops.push(op);
    this.dones.push(done);
    this.notBefore.push(holdMs > 0 ? performance.now() + holdMs : 0);
    if (!this.busy && !this.scheduled) {
      // Ship when the current callback is done: every operation it queued (all the frames of one
      // read) goes in one batch, and an idle store is not kept waiting for the next turn.
      this.scheduled = true;
      queueMicrotask(() => this.ship());
    }
    return this.nextSeq++;
  }

  /**
   * Takes back an operation that has not reached the store yet: it is never run, and its `done`
   * gets `result` now. False if it is already with the store (or was cancelled before).
   */
  cancel(seq: number, result: OpResult): boolean {
    const i = seq - this.shippedUpTo;
    if (i < 0 || this.ops[i] === undefined) return false;
    this.ops[i] = undefined;
    const done = this.dones[i]!;
    this.dones[i] = ignore;
    done(result);
    return true;
  }

  /** Runs one operation; resolves with its value, rejects with its error. */
  run<T>(op: Op): Promise<T> {
    return new Promise((resolve, reject) => {
      this.add(op, (r) => (r.ok ? resolve(r.value as T) : reject(new Error(r.error))));
    });
  }

  /** Resolves once everything queued so far is committed (or failed); held operations ship at once. */
  idle(): Promise<void> {
    if (!this.busy && this.ops.length === 0) return Promise.resolve();
    this.notBefore.fill(0);
    const p = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.ship();
    return p;
  }

  private ship(): void {
    this.scheduled = false;
    if (this.busy) return;
    if (this.ops.length === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
      return;
    }
    // Ship the operations whose hold is over, up to the first that is still held.
    const now = performance.now();
    let n = 0;
    const max = Math.min(this.ops.length, this.maxBatch);
    while (n < max && (this.ops[n] === undefined || this.notBefore[n]! <= now)) n++;
    if (n === 0) {
      if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.ship();
        }, Math.max(0, this.notBefore[0]! - now));
      }
      return;
    }
    const batch: Op[] = [];
    const dones: Done[] = [];
    for (let i = 0; i < n; i++) {
      const op = this.ops[i];
      if (op === undefined) continue;
      batch.push(op);
      dones.push(this.dones[i]!);
    }
    this.ops = n === this.ops.length ? [] : this.ops.slice(n);
    this.dones = n === this.dones.length ? [] : this.dones.slice(n);
    this.notBefore = n === this.notBefore.length ? [] : this.notBefore.slice(n);
    this.shippedUpTo += n;
    if (batch.length === 0) {
      this.ship();
      return;
    }
    this.busy = true;
    const began = performance.now();
    this.store.run(batch).then(
      (results) => {
        this.observe?.((performance.now() - began) / 1000, batch.length, undefined);
        this.settle(dones, (i) => results[i]!);
      },
      (err: unknown) => {
        const failed: OpResult = { ok: false, error: (err as Error).message };
        this.observe?.((performance.now() - began) / 1000, batch.length, failed.error);
        this.settle(dones, () => failed);
      },
    );
  }

  private settle(dones: Done[], result: (i: number) => OpResult): void {
    this.busy = false;
    for (let i = 0; i < dones.length; i++) {
      try {
        dones[i]!(result(i));
      } catch (err) {
        // A caller's bug must not strand the callbacks after it.
        process.emitWarning(err as Error);
      }
    }
    // What gathered during that commit ships now, without waiting for another turn.
    this.ship();
  }
}
