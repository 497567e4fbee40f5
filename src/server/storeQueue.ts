/**
 * Group commit in front of a Store. Operations queue here in the order the service issues them;
 * while the store commits one batch, the next one gathers, and it is handed over the moment the
 * store is free. So under load a batch holds everything that arrived during one commit (one fsync
 * for all of it), and when idle an operation waits for no timer: it ships at the end of the turn.
 *
 * An operation may ask to be held a little (`holdMs`): a Send already pushed to its recipient waits
 * that long for the recipient's Ack, which takes it back (cancel) so it is never written at all.
 * Order is kept: what comes after a held operation waits with it.
 *
 * The queue is arrays with a moving head (no copy per batch), and what to do with a result may be an
 * object with a `settled` method (a Send's own record), so queueing one costs no closure.
 */
import type { Op, OpResult, Store } from './store/store.js';

/** Told an operation's result. */
export interface Settles {
  settled(r: OpResult): void;
}
export type Done = ((r: OpResult) => void) | Settles;

const ignore: Done = () => {};

function call(done: Done, r: OpResult): void {
  if (typeof done === 'function') done(r);
  else done.settled(r);
}

/** Shipped entries are dropped from the arrays' front once this many have gathered there. */
const COMPACT_AT = 4096;

export class StoreQueue {
  /** Operations not yet shipped, from `head`; undefined once cancelled. */
  private ops: Array<Op | undefined> = [];
  private dones: Done[] = [];
  /** performance.now() before which each operation is not shipped (0: at once). */
  private notBefore: number[] = [];
  /** Index in the arrays of the first operation not yet shipped. */
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Sequence number of the first operation not yet handed to the store (the one at `head`). */
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

  /** Operations queued and not yet shipped. */
  private get waiting(): number {
    return this.ops.length - this.head;
  }

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
    const i = this.head + seq - this.shippedUpTo;
    if (i < this.head || i >= this.ops.length || this.ops[i] === undefined) return false;
    this.ops[i] = undefined;
    const done = this.dones[i]!;
    this.dones[i] = ignore;
    call(done, result);
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
    if (!this.busy && this.waiting === 0) return Promise.resolve();
    this.notBefore.fill(0, this.head);
    const p = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.ship();
    return p;
  }

  private ship(): void {
    this.scheduled = false;
    if (this.busy) return;
    if (this.waiting === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
      return;
    }
    // Ship the operations whose hold is over, up to the first that is still held.
    const now = performance.now();
    const from = this.head;
    const max = from + Math.min(this.waiting, this.maxBatch);
    let end = from;
    while (end < max && (this.ops[end] === undefined || this.notBefore[end]! <= now)) end++;
    if (end === from) {
      if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.ship();
        }, Math.max(0, this.notBefore[from]! - now));
      }
      return;
    }
    const batch: Op[] = [];
    const dones: Done[] = [];
    for (let i = from; i < end; i++) {
      const op = this.ops[i];
      if (op === undefined) continue;
      batch.push(op);
      dones.push(this.dones[i]!);
    }
    this.shippedUpTo += end - from;
    this.head = end;
    this.compact();
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

  /** Drops the shipped entries from the arrays' front once enough have gathered (or all are shipped). */
  private compact(): void {
    if (this.head === this.ops.length) {
      this.ops.length = 0;
      this.dones.length = 0;
      this.notBefore.length = 0;
      this.head = 0;
    } else if (this.head >= COMPACT_AT) {
      this.ops.splice(0, this.head);
      this.dones.splice(0, this.head);
      this.notBefore.splice(0, this.head);
      this.head = 0;
    }
  }

  private settle(dones: Done[], result: (i: number) => OpResult): void {
    this.busy = false;
    for (let i = 0; i < dones.length; i++) {
      try {
        call(dones[i]!, result(i));
      } catch (err) {
        // A caller's bug must not strand the callbacks after it.
        process.emitWarning(err as Error);
      }
    }
    // What gathered during that commit ships now, without waiting for another turn.
    this.ship();
  }
}
