/**
 * Where message ids come from. A message is pushed to an online recipient before its commit, so its
 * id must never go to another message even if the server dies before that commit (a client that
 * drops repeats by id would drop the other one). Two ways to promise that:
 *
 * - One server (ReservedIds): a counter, with ids reserved durably in blocks ahead of use; after a
 *   crash the store counts on above the reservation.
 * - Several nodes on one store (BlockIds): each node takes blocks from the store's one sequence, so
 *   ids are unique across nodes; after a login a node moves above every block given out before it,
 *   so an account's messages keep their order even when its previous session was on another node.
 */
import type { StoreQueue } from './storeQueue.js';
import type { IdBlock } from './store/store.js';
import type { Log } from './log.js';

export interface MessageIds {
  /** Whether take() may be called now; else wait() first. */
  ready(): boolean;
  /** Resolves when an id is ready (rejects if the store failed). */
  wait(): Promise<void>;
  /** The next id, or undefined once every id the wire can carry has been used. */
  take(): number | undefined;
  /** Whether a message with this id may be pushed before its commit. */
  pushable(id: number): boolean;
  /** A login bound its session; `newestBlock` is the newest block any node had been given then. */
  loggedIn(newestBlock: number): void;
}

/** One server: a counter, reserved ahead in the store. */
export class ReservedIds implements MessageIds {
  /** Reserved this many at a time, the next block when half of this one is used. */
  static readonly BLOCK = 1 << 16;
  private next: number;
  /** Ids up to here are durably reserved. */
  private reservedUpTo: number;
  private reserving = false;

  constructor(
    private readonly queue: StoreQueue,
    private readonly log: Log,
    firstFree: number,
    private readonly max: number,
  ) {
    this.next = firstFree;
    this.reservedUpTo = firstFree - 1;
    this.reserve();
  }

  ready(): boolean {
    return true;
  }

  wait(): Promise<void> {
    return Promise.resolve();
  }

  take(): number | undefined {
    if (this.next > this.max) return undefined;
    const id = this.next++;
    if (this.reservedUpTo - id < ReservedIds.BLOCK / 2) this.reserve();
    return id;
  }

  /** Past the reservation (it is on its way) a message waits for its commit to be pushed. */
  pushable(id: number): boolean {
    return id <= this.reservedUpTo;
  }

  loggedIn(): void {}

  private reserve(): void {
    if (this.reserving) return;
    this.reserving = true;
    const upTo = Math.min(this.max, Math.max(this.reservedUpTo, this.next - 1) + ReservedIds.BLOCK);
    this.queue.add({ op: 'reserveIds', upTo }, (r) => {
      this.reserving = false;
      if (r.ok) this.reservedUpTo = upTo;
      else this.log.error({ err: r.error }, 'reserving message ids failed');
    });
  }
}

/** Several nodes: blocks from the store's sequence, the next one taken when half of this one is used. */
export class BlockIds implements MessageIds {
  /** The block in use is [first, end); `spare` is the next, taken ahead. */
  private first = 0;
  private next = 0;
  private end = 0;
  private spare: IdBlock | undefined;
  private taking: Promise<void> | undefined;

  constructor(
    private readonly queue: StoreQueue,
    private readonly log: Log,
  ) {}

  ready(): boolean {
    return this.next < this.end || this.spare !== undefined;
  }

  wait(): Promise<void> {
    this.taking ??= this.queue.run<IdBlock>({ op: 'allocateIds' }).then(
      (b) => {
        this.taking = undefined;
        if (this.next >= this.end) this.use(b);
        else this.spare = b;
      },
      (err: unknown) => {
        this.taking = undefined;
        throw err;
      },
    );
    return this.taking;
  }

  /** The store's sequence stops below the largest id the wire carries. */
  take(): number | undefined {
    if (this.next >= this.end) {
      if (this.spare === undefined) return undefined;
      this.use(this.spare);
      this.spare = undefined;
    }
    if (this.spare === undefined && this.next - this.first >= (this.end - this.first) / 2) {
      this.wait().catch((err: unknown) => this.log.error({ err }, 'taking a block of message ids failed'));
    }
    return this.next++;
  }

  /** Every id is the node's alone from the moment it has its block. */
  pushable(): boolean {
    return true;
  }

  loggedIn(newestBlock: number): void {
    if (this.first >= newestBlock) return;
    if (this.spare !== undefined && this.spare.first >= newestBlock) this.use(this.spare);
    else this.next = this.end;
    this.spare = undefined;
  }

  private use(b: IdBlock): void {
    this.first = b.first;
    this.next = b.first;
    this.end = b.first + b.count;
  }
}
