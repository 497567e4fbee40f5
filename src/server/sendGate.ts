/**
 * What a Send waits for on a store several nodes share, before the service can take it. A node
 * knows most of what a Send needs in memory, but not all of it: an account created on another node
 * a moment ago may not be in its directory yet, and its block of message ids may be used up until
 * the next arrives. Then the Send waits for the database's answer. (The mailbox cap is the
 * database's to check: see postgresOps.ts.) The Sends of one session keep their order:
 * behind one that waits, the rest wait too. On a single-node store nothing ever waits here.
 */
import type { Response } from '../protocol/codec.js';
import { storageError, type Core, type Session, type WaitingSend } from './session.js';
import type { Account } from './store/store.js';

export interface GateDeps {
  /** The directory (a lookup adds to it), the mailbox counts (a recount corrects them), ids and the store. */
  core: Core;
  /** Takes a Send that waits for nothing (it answers it, now or after its commit). */
  go(s: Session, w: WaitingSend): void;
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
    const { directory, ids } = this.d.core;
    if (!w.looked && !directory.has(recipient)) {
      w.looked = true;
      return this.lookup(recipient);
    }
    if (!ids.ready()) return this.settled(ids.wait());
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
      p = this.d.core.queue.run<Account | undefined>({ op: 'findAccount', name }).then(
        (a) => {
          this.lookups.delete(name);
          if (a !== undefined) this.d.core.directory.set(a.name, a.id);
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

  private settled(p: Promise<void>): Promise<Response | undefined> {
    return p.then(
      () => undefined,
      (err: unknown) => storageError((err as Error).message),
    );
  }
}
