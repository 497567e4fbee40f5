/**
 * Password hashing: scrypt (node:crypto, async, off the main thread), a random salt per password,
 * the parameters stored beside the hash so the cost can be raised later without breaking old hashes.
 * Stored form: `scrypt$N$r$p$<salt base64>$<hash base64>`.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_LEN = 32;
const SALT_LEN = 16;
const R = 8;
const P = 1;

/**
 * A counting semaphore that serves its callers fairly: scrypt is memory-hungry, so only a few run at
 * once, and a caller that queues many (one connection pipelining Registers) gets one turn in each
 * round, not the whole pool: waiting keys are served round-robin, each key at most one at a time.
 */
export class FairSemaphore {
  /** Waiting jobs per key; a Map iterates in insertion order, which makes the rotation. */
  private readonly waiting = new Map<unknown, Array<() => void>>();
  private readonly running = new Set<unknown>();
  constructor(private free: number) {}

  async run<T>(key: unknown, fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => {
      const q = this.waiting.get(key);
      if (q) q.push(resolve);
      else this.waiting.set(key, [resolve]);
      this.next();
    });
    try {
      return await fn();
    } finally {
      this.running.delete(key);
      this.free++;
      this.next();
    }
  }

  private next(): void {
    while (this.free > 0) {
      let started = false;
      for (const [key, q] of this.waiting) {
        if (this.running.has(key)) continue;
        const go = q.shift()!;
        // Served keys go to the back of the rotation.
        this.waiting.delete(key);
        if (q.length > 0) this.waiting.set(key, q);
        this.running.add(key);
        this.free--;
        go();
        started = true;
        break;
      }
      if (!started) return;
    }
  }
}

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  // Node refuses costs whose memory (128 * N * r bytes) exceeds maxmem; leave headroom.
  const opts: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LEN, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** scrypt N for new hashes unless told otherwise (tests use a cheaper one). */
export const DEFAULT_SCRYPT_COST = 16384;

export interface HasherOptions {
  /** scrypt N (a power of two); DEFAULT_SCRYPT_COST in production, cheaper in tests. */
  cost?: number;
  /** How many hashes may run at once. */
  concurrency?: number;
}

/** Hashes and verifies passwords with bounded concurrency. */
export class PasswordHasher {
  readonly cost: number;
  private readonly sem: FairSemaphore;
  private dummy: Promise<string> | undefined;

  constructor(opts: HasherOptions = {}) {
    this.cost = opts.cost ?? DEFAULT_SCRYPT_COST;
    if (!Number.isInteger(this.cost) || this.cost < 2 || (this.cost & (this.cost - 1)) !== 0) {
      throw new Error(`scrypt cost must be a power of two >= 2, got ${this.cost}`);
    }
    this.sem = new FairSemaphore(opts.concurrency ?? 4);
  }

  /** A new stored hash for `password`. `key` names the caller (a session) for fair turns. */
  hash(password: string, key: unknown = {}): Promise<string> {
    return this.sem.run(key, async () => {
      const salt = randomBytes(SALT_LEN);
      const key = await derive(password, salt, this.cost, R, P);
      return ['scrypt', this.cost, R, P, salt.toString('base64'), key.toString('base64')].join('$');
    });
  }

  /**
   * True if `password` matches `stored`. With `stored` undefined (unknown user) it hashes against a
   * dummy so that the answer takes about as long as for a real account, and returns false.
   */
  async verify(password: string, stored: string | undefined, key: unknown = {}): Promise<boolean> {
    const target = stored ?? (await (this.dummy ??= this.hash('dummy password, never matches')));
    const parts = target.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
    const salt = Buffer.from(parts[4]!, 'base64');
    const want = Buffer.from(parts[5]!, 'base64');
    const got = await this.sem.run(key, () => derive(password, salt, N, r, p));
    return got.length === want.length && timingSafeEqual(got, want) && stored !== undefined;
  }
}
