/**
 * Login throttling and registration rates, in the spirit of Dovecot's auth penalty: each failed
 * Login of an account, and from an address, doubles the delay before the next Login of that
 * account or from that address is checked (up to a ceiling). Logins in parallel do not share a
 * delay: each takes the next free time, so N connections try no faster than one; a Login whose
 * turn is further away than the ceiling is refused after the ceiling without being checked. A
 * success clears the account's and the address's count. Every refusal gets the same answer
 * (BAD_CREDENTIALS), only later. Registrations are counted per address in a sliding window.
 */

/** Where the throttle reads the time and times a Login's wait: the system's, or a test's (ManualClock). */
export interface Clock {
  now(): number;
  setTimeout(f: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ThrottleOptions {
  /** Delay after the first failure, doubled with each further one (ms); 0 turns login throttling off. */
  loginDelayMs: number;
  /** The most a Login waits (ms). */
  loginMaxDelayMs: number;
  /** A failure count is forgotten after this long without failures (ms). */
  forgetAfterMs: number;
  /** Registrations one address may make per `registerWindowMs`; 0: no limit. */
  registerPerWindow: number;
  registerWindowMs: number;
  /** The clock of every delay and window (default SYSTEM_CLOCK). */
  clock?: Clock;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  loginDelayMs: 250,
  loginMaxDelayMs: 15_000,
  forgetAfterMs: 15 * 60_000,
  registerPerWindow: 10,
  registerWindowMs: 60 * 60_000,
};

interface Failures {
  n: number;
  last: number;
  /** The earliest time the next Login may be checked. */
  next: number;
}

/** When a Login may be checked: after `waitMs`; `check` false means refuse it then without checking. */
export interface LoginTurn {
  waitMs: number;
  check: boolean;
}

const NOW: LoginTurn = { waitMs: 0, check: true };

/** Tables this large are swept of forgotten entries, so an attacker's many names or addresses cannot grow memory for long. */
const SWEEP_AT = 100_000;

export class Throttle {
  private readonly byAccount = new Map<string, Failures>();
  private readonly byAddress = new Map<string, Failures>();
  private readonly registrations = new Map<string, number[]>();
  private readonly clock: Clock;

  constructor(readonly opts: ThrottleOptions = DEFAULT_THROTTLE) {
    this.clock = opts.clock ?? SYSTEM_CLOCK;
  }

  /** When a Login of `name` from `address` may be checked, taking that turn. `address` undefined: not limited per address. */
  loginTurn(name: string, address: string | undefined, now = this.clock.now()): LoginTurn {
    if (this.opts.loginDelayMs === 0) return NOW;
    const a = this.live(this.byAccount, name, now);
    const b = address === undefined ? undefined : this.live(this.byAddress, address, now);
    if (!a && !b) return NOW;
    const at = Math.max(now, a?.next ?? 0, b?.next ?? 0);
    if (at - now > this.opts.loginMaxDelayMs) return { waitMs: this.opts.loginMaxDelayMs, check: false };
    if (a) a.next = at + this.delay(a.n);
    if (b) b.next = at + this.delay(b.n);
    return { waitMs: at - now, check: true };
  }

  /**
   * Waits `ms` (a LoginTurn's waitMs) on the throttle's clock. `cancel()` ends the wait at once: at
   * shutdown every waiting Login is woken to be refused.
   */
  wait(ms: number): { done: Promise<void>; cancel(): void } {
    let cancel!: () => void;
    const done = new Promise<void>((resolve) => {
      const handle = this.clock.setTimeout(resolve, ms);
      cancel = () => {
        this.clock.clearTimeout(handle);
        resolve();
      };
    });
    return { done, cancel };
  }

  private delay(n: number): number {
    return Math.min(this.opts.loginMaxDelayMs, this.opts.loginDelayMs * 2 ** Math.min(n - 1, 30));
  }

  /** Records a Login's outcome. */
  loginResult(name: string, address: string | undefined, ok: boolean, now = this.clock.now()): void {
    if (this.opts.loginDelayMs === 0) return;
    if (ok) {
      this.byAccount.delete(name);
      if (address !== undefined) this.byAddress.delete(address);
      return;
    }
    this.fail(this.byAccount, name, now);
    if (address !== undefined) this.fail(this.byAddress, address, now);
  }

  /** Takes one registration of `address`'s allowance; false when it has none left. */
  takeRegistration(address: string | undefined, now = this.clock.now()): boolean {
    if (this.opts.registerPerWindow === 0 || address === undefined) return true;
    const since = now - this.opts.registerWindowMs;
    const times = (this.registrations.get(address) ?? []).filter((t) => t > since);
    if (times.length >= this.opts.registerPerWindow) {
      this.registrations.set(address, times);
      return false;
    }
    times.push(now);
    this.registrations.set(address, times);
    if (this.registrations.size > SWEEP_AT) {
      for (const [k, v] of this.registrations) if (v.every((t) => t <= since)) this.registrations.delete(k);
    }
    return true;
  }

  private live(table: Map<string, Failures>, key: string, now: number): Failures | undefined {
    const f = table.get(key);
    if (f && now - f.last > this.opts.forgetAfterMs) {
      table.delete(key);
      return undefined;
    }
    return f;
  }

  private fail(table: Map<string, Failures>, key: string, now: number): void {
    const f = table.get(key);
    if (f && now - f.last <= this.opts.forgetAfterMs) {
      f.n++;
      f.last = now;
      f.next = Math.max(f.next, now + this.delay(f.n));
    } else table.set(key, { n: 1, last: now, next: now + this.delay(1) });
    if (table.size > SWEEP_AT) {
      for (const [k, v] of table) if (now - v.last > this.opts.forgetAfterMs) table.delete(k);
    }
  }
}
