/**
 * What a Send waits for on a store several nodes share, before the service can take it. A node
 * knows most of what a Send needs in memory, but not all of it: an account created on another node
 * a moment ago may not be in its directory yet, its block of message ids may be used up until the
 * next arrives, and a queue its count says is full may have been read by its recipient on another
 * node. Then the Send waits for the database's answer. The Sends of one session keep their order:
 * behind one that waits, the rest wait too. On a single-node store nothing ever waits here.
 */
import type { Request, Response } from '../protocol/codec.js';
import type { MessageIds } from './messageIds.js';
import type { QueueSize, Reply, Session } from './service.js';
import type { StoreQueue } from './storeQueue.js';
import type { Account } from './store/store.js';

export type SendRequest = Extract<Request, { type: 'Send' }>;

/** A Send held back until the database has answered what the node could not know by itself. */
export interface WaitingSend {
  req: SendRequest;
  reply: Reply;
  body: Buffer | undefined;
  /** Its recipient was looked up already / its queue recounted already: do not wait for that again. */
  looked?: boolean;
  recounted?: boolean;
}

export interface GateDeps {
  /** Every live account the node knows, name -> id (a lookup adds to it). */
  directory: Map<string, number>;
  /** What waits for each recipient, as this node counts it (a recount corrects it). */
  queued: Map<number, QueueSize>;
  ids(): MessageIds;
  queue: StoreQueue;
  maxQueue: number;
  maxQueueBytes: number;
  /** Takes a Send that waits for nothing (it answers it, now or after its commit). */
  go(s: Session, w: WaitingSend): void;
  /** The answer for a request the store could not serve. */
  storageError(error: string): Response;
}

export class SendGate {
  /** Names being looked up in the database, so a burst of Sends to one name asks once. */
  private readonly lookups = new Map<string, Promise<void>>();

  constructor(private readonly d: GateDeps) {}

  /** Takes the Send now, or after what it (or a Send of the same session before it) waits for. */
  admit(s: Session, w: WaitingSend): void {
    if (s.backlog !== undefined) {
      s.backlog.push(w);
      return;
    }
    const wait = this.waitFor(w);
    if (wait === undefined) {
      this.d.go(s, w);
      return;
    }
    s.backlog = [w];
    this.drainAfter(s, w, wait);
  }

  /** What the Send must wait for, or undefined; the promise resolves with an error answer when the database failed. */
  private waitFor(w: WaitingSend): Promise<Response | undefined> | undefined {
    const { recipient } = w.req;
    const d = this.d;
    if (!w.looked && !d.directory.has(recipient)) {
      w.looked = true;
      return this.lookup(recipient);
    }
    const ids = d.ids();
    if (!ids.ready()) return this.settled(ids.wait());
    const to = d.directory.get(recipient);
    const q = to === undefined ? undefined : d.queued.get(to);
    if (!w.recounted && to !== undefined && q !== undefined && (q.n >= d.maxQueue || q.bytes >= d.maxQueueBytes)) {
      w.recounted = true;
      if ((q.checkedAt ?? 0) < Date.now() - 1000) return this.settled(this.recount(to, q));
    }
    return undefined;
  }

  /** Runs the session's waiting Sends in order once `wait` is over; stops again at the next that must wait. */
  private drainAfter(s: Session, w: WaitingSend, wait: Promise<Response | undefined>): void {
    void wait.then((failed) => {
      const b = s.backlog!;
      if (failed !== undefined) {
        b.shift();
        w.reply(failed);
      }
      while (b.length > 0) {
        const next = b[0]!;
        const again = this.waitFor(next);
        if (again !== undefined) {
          this.drainAfter(s, next, again);
          return;
        }
        b.shift();
        this.d.go(s, next);
      }
      s.backlog = undefined;
    });
  }

  private lookup(name: string): Promise<Response | undefined> {
    let p = this.lookups.get(name);
    if (p === undefined) {
      p = this.d.queue.run<Account | undefined>({ op: 'findAccount', name }).then(
        (a) => {
          this.lookups.delete(name);
          if (a !== undefined) this.d.directory.set(a.name, a.id);
        },
        (err: unknown) => {
          this.lookups.delete(name);
          throw err;
        },
      );
      this.lookups.set(name, p);
    }
    return this.settled(p);
  }

  /** Reads how many messages wait for `to`: other nodes add to and take from that queue too. */
  private async recount(to: number, q: QueueSize): Promise<void> {
    const n = await this.d.queue.run<number>({ op: 'count', recipientId: to });
    if (n < q.n) q.bytes = n === 0 ? 0 : Math.round((q.bytes * n) / q.n);
    q.n = n;
    q.checkedAt = Date.now();
  }

  private settled(p: Promise<void>): Promise<Response | undefined> {
    return p.then(
      () => undefined,
      (err: unknown) => this.d.storageError((err as Error).message),
    );
  }
}
