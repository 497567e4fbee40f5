/**
 * The login throttle's counts kept in a store several nodes share (the database): every node reads
 * and moves the same counts, in one statement each, so N nodes give an attacker no more guesses
 * than one. One server keeps them in memory instead (throttle.ts MemoryCounters).
 */
import type { StoreQueue } from './storeQueue.js';
import type { DelayRule, LoginTurn, ThrottleCounters } from './throttle.js';

export class StoreCounters implements ThrottleCounters {
  constructor(private readonly queue: StoreQueue) {}

  turn(keys: readonly string[], now: number, rule: DelayRule): Promise<LoginTurn> {
    return this.queue.run<LoginTurn>({ op: 'throttleTurn', keys, now, rule });
  }

  failed(keys: readonly string[], now: number, rule: DelayRule): Promise<void> {
    return this.queue.run<void>({ op: 'throttleFail', keys, now, rule });
  }

  succeeded(keys: readonly string[], account: string, address: string, now: number): Promise<void> {
    return this.queue.run<void>({ op: 'throttleSuccess', keys, account, address, now });
  }

  known(account: string, address: string, since: number): Promise<boolean> {
    return this.queue.run<boolean>({ op: 'knownAddress', account, address, since });
  }

  register(address: string, now: number, windowMs: number, perWindow: number): Promise<boolean> {
    return this.queue.run<boolean>({ op: 'register', address, now, windowMs, perWindow });
  }
}
