/**
 * Login throttling and registration rates, in the spirit of Dovecot's auth penalty, keyed so that
 * guessing is stopped without locking the owner out (OWASP's "device cookies", keyed by address):
 *
 * - per address: each failure from an address doubles the wait of every Login from it;
 * - per (account, address): each failure doubles the wait of that account from that address;
 * - per account, for addresses it was never logged in from: failures from such addresses double
 *   the wait of Logins from such addresses. An address the account has logged in from (within
 *   `knownForMs`) does not wait for them: an attacker elsewhere cannot slow the owner down.
 *
 * Logins in parallel do not share a wait: each takes the next free turn, so N connections try no
 * faster than one; a Login whose turn is further away than the ceiling is refused after the ceiling,
 * unchecked. A success clears its address's and its (account, address) counts and makes the address
 * known to the account. Every refusal gets the same answer (BAD_CREDENTIALS), only later. The counts
 * live in `ThrottleCounters`: this process's memory on one server, the database when several nodes
 * share one (so N nodes give an attacker no more guesses than one). Registrations are counted per
 * address in a sliding window.
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
  /** How long an address stays known to an account after a successful Login from it (ms). */
  knownForMs: number;
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
  knownForMs: 90 * 24 * 60 * 60_000,
  registerPerWindow: 10,
  registerWindowMs: 60 * 60_000,
};

/** When a Login may be checked: after `waitMs`; `check` false means refuse it then without checking. */
export interface LoginTurn {
  waitMs: number;
  check: boolean;
}

/** The delays as the counters apply them. */
export interface DelayRule {
  delayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
}

/** The wait after `n` failures: the base doubled per further failure, up to the ceiling. */
export function delayAfter(n: number, rule: DelayRule): number {
  return Math.min(rule.maxDelayMs, rule.delayMs * 2 ** Math.min(n - 1, 30));
}

/**
 * The failure counts, the addresses each account is known from, and the registrations. Every call
 * is atomic where the counts are kept (memory, or one database statement), so nodes sharing them
 * cannot race past a limit.
 */
export interface ThrottleCounters {
  /** Takes the next free turn over `keys` (the latest of their next-free times), or refuses past the ceiling. */
  turn(keys: readonly string[], now: number, rule: DelayRule): Promise<LoginTurn>;
  /** One more failure on each key. */
  failed(keys: readonly string[], now: number, rule: DelayRule): Promise<void>;
  /** A success: `keys` are cleared and `address` becomes known to `account`. */
  succeeded(keys: readonly string[], account: string, address: string, now: number): Promise<void>;
  /** Whether `account` has logged in from `address` since `since`. */
  known(account: string, address: string, since: number): Promise<boolean>;
  /** Takes one of the address's `perWindow` registrations in the window ending now; false when none are left. */
  register(address: string, now: number, windowMs: number, perWindow: number): Promise<boolean>;
}

/** The address a local (loopback, not limited) peer counts as in the (account, address) key. */
const LOCAL = 'local';

/** The keys a Login of `account` from `address` waits for (undefined address: a local peer, not limited per address). */
export function loginKeys(account: string, address: string | undefined, known: boolean): string[] {
  if (address === undefined) return [`p:${account}\n${LOCAL}`];
  const keys = [`a:${address}`, `p:${account}\n${address}`];
  if (!known) keys.push(`u:${account}`);
  return keys;
}

/** A Login's place in the throttle: its turn, and what its outcome must be recorded on. */
export interface LoginTicket extends LoginTurn {
  keys: readonly string[];
}

const NOW: LoginTicket = { waitMs: 0, check: true, keys: [] };

export class Throttle {
  private readonly clock: Clock;
  private readonly rule: DelayRule;

  constructor(
    readonly opts: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly counters: ThrottleCounters = new MemoryCounters(),
  ) {
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.rule = { delayMs: opts.loginDelayMs, maxDelayMs: opts.loginMaxDelayMs, forgetAfterMs: opts.forgetAfterMs };
  }

  /** When a Login of `account` from `address` may be checked, taking that turn. `address` undefined: not limited per address. */
  async loginTurn(account: string, address: string | undefined, now = this.clock.now()): Promise<LoginTicket> {
    if (this.opts.loginDelayMs === 0) return NOW;
    const known = address === undefined || (await this.counters.known(account, address, now - this.opts.knownForMs));
    const keys = loginKeys(account, address, known);
    return { ...(await this.counters.turn(keys, now, this.rule)), keys };
  }

  /** Records a Login's outcome on the keys its turn was taken on. */
  async loginResult(ticket: LoginTicket, account: string, address: string | undefined, ok: boolean, now = this.clock.now()): Promise<void> {
    if (this.opts.loginDelayMs === 0) return;
    if (!ok) return this.counters.failed(ticket.keys, now, this.rule);
    // The account's count for unknown addresses stays: it is the attackers', not the owner's.
    const mine = ticket.keys.filter((k) => !k.startsWith('u:'));
    return this.counters.succeeded(mine, account, address ?? LOCAL, now);
  }

  /** Takes one registration of `address`'s allowance; false when it has none left. */
  takeRegistration(address: string | undefined, now = this.clock.now()): Promise<boolean> {
    if (this.opts.registerPerWindow === 0 || address === undefined) return Promise.resolve(true);
    return this.counters.register(address, now, this.opts.registerWindowMs, this.opts.registerPerWindow);
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
}

interface Failures {
  n: number;
  last: number;
  /** The earliest time the next Login may be checked. */
  next: number;
}

/** Tables this large are swept of forgotten entries, so an attacker's many names or addresses cannot grow memory for long. */
const SWEEP_AT = 100_000;

/** The counts in this process's memory: one server. */
export class MemoryCounters implements ThrottleCounters {
  private readonly failures = new Map<string, Failures>();
  /** `account \n address` -> when it last logged in from there. */
  private readonly knownAt = new Map<string, number>();
  private readonly registrations = new Map<string, number[]>();

  turn(keys: readonly string[], now: number, rule: DelayRule): Promise<LoginTurn> {
    const live = keys.map((k) => this.live(k, now, rule)).filter((f): f is Failures => f !== undefined);
    if (live.length === 0) return Promise.resolve({ waitMs: 0, check: true });
    const at = Math.max(now, ...live.map((f) => f.next));
    if (at - now > rule.maxDelayMs) return Promise.resolve({ waitMs: rule.maxDelayMs, check: false });
    for (const f of live) f.next = at + delayAfter(f.n, rule);
    return Promise.resolve({ waitMs: at - now, check: true });
  }

  failed(keys: readonly string[], now: number, rule: DelayRule): Promise<void> {
    for (const key of keys) {
      const f = this.live(key, now, rule);
      if (f) {
        f.n++;
        f.last = now;
        f.next = Math.max(f.next, now + delayAfter(f.n, rule));
      } else this.failures.set(key, { n: 1, last: now, next: now + delayAfter(1, rule) });
    }
    if (this.failures.size > SWEEP_AT) {
      for (const [k, v] of this.failures) if (now - v.last > rule.forgetAfterMs) this.failures.delete(k);
    }
    return Promise.resolve();
  }

  succeeded(keys: readonly string[], account: string, address: string, now: number): Promise<void> {
    for (const key of keys) this.failures.delete(key);
    this.knownAt.set(`${account}\n${address}`, now);
    return Promise.resolve();
  }

  known(account: string, address: string, since: number): Promise<boolean> {
    return Promise.resolve((this.knownAt.get(`${account}\n${address}`) ?? -Infinity) >= since);
  }

  register(address: string, now: number, windowMs: number, perWindow: number): Promise<boolean> {
    const since = now - windowMs;
    const times = (this.registrations.get(address) ?? []).filter((t) => t > since);
    if (times.length >= perWindow) {
      this.registrations.set(address, times);
      return Promise.resolve(false);
    }
    times.push(now);
    this.registrations.set(address, times);
    if (this.registrations.size > SWEEP_AT) {
      for (const [k, v] of this.registrations) if (v.every((t) => t <= since)) this.registrations.delete(k);
    }
    return Promise.resolve(true);
  }

  private live(key: string, now: number, rule: DelayRule): Failures | undefined {
    const f = this.failures.get(key);
    if (f && now - f.last > rule.forgetAfterMs) {
      this.failures.delete(key);
      return undefined;
    }
    return f;
  }
}
