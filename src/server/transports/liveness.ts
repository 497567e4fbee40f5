/**
 * Liveness of one connection: a peer that never proves it is a user (no successful Register or
 * Login) within the auth timeout is closed, and so is one that stays silent after a KeepAlive.
 */

export interface LivenessLimits {
  /** A connection without a successful Register or Login this long is closed (IDLE_TIMEOUT); 0: never. */
  authTimeoutMs: number;
  /**
   * A connection the server has heard nothing from for one interval gets a KeepAlive push; silent
   * for the next interval too, it is closed as dead. So a dead peer goes within 3 intervals. 0: off.
   */
  keepAliveMs: number;
  /** A frame begun must be complete within this long (a peer trickling bytes holds a connection otherwise); 0: no limit. */
  frameTimeoutMs: number;
}

export const DEFAULT_LIVENESS: LivenessLimits = { authTimeoutMs: 10_000, keepAliveMs: 30_000, frameTimeoutMs: 20_000 };

/** What a keep-alive sweep decided for a connection. */
export type SweepVerdict = 'alive' | 'ping' | 'dead';

/** A duration as a sentence says it: 1.5 s, 10 s, 0.25 s (never rounded to a whole second). */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(t: unknown): void;
  /**
   * Runs `fn` once the bytes already waiting on the sockets have been read. A timer that fires after
   * the process was starved runs before those reads: a peer whose Login is in the kernel's buffer
   * must not be closed for silence.
   */
  afterReads?(fn: () => void): void;
}

const REAL_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout),
  afterReads: (fn) => setImmediate(fn),
};

export class Liveness {
  /** Something came from the peer (or it took our output) since the last sweep. */
  private heard = true;
  /** A KeepAlive went out and nothing has come back since. */
  private pinged = false;
  private authTimer: unknown;
  /** Register/Login requests started and not yet answered: the timeout waits for them (a throttled Login may take longer). */
  private authPending = 0;
  private frameTimer: unknown;

  constructor(
    /** Whether the peer has had a Register or Login succeed. */
    private readonly proven: () => boolean,
    /** Closes the connection with IDLE_TIMEOUT and this sentence. */
    private readonly expire: (why: 'auth_timeout' | 'frame_timeout', text: string) => void,
    authTimeoutMs: number,
    private readonly timers: Timers = REAL_TIMERS,
  ) {
    if (authTimeoutMs > 0) {
      const check = () => {
        if (this.proven() || this.authTimer === undefined) return;
        if (this.authPending > 0) {
          this.authTimer = timers.setTimeout(later, authTimeoutMs);
          return;
        }
        this.authTimer = undefined;
        this.expire('auth_timeout', `no successful Register or Login within ${seconds(authTimeoutMs)}`);
      };
      const later = () => (timers.afterReads ? timers.afterReads(check) : check());
      this.authTimer = timers.setTimeout(later, authTimeoutMs);
    }
  }

  /**
   * After each chunk read: whether a frame is begun and not complete, and whether a frame completed
   * in that chunk. A begun frame that is not complete within frameTimeoutMs closes the connection.
   */
  frameProgress(partial: boolean, completed: boolean, frameTimeoutMs: number): void {
    if (frameTimeoutMs <= 0) return;
    if (this.frameTimer !== undefined && (!partial || completed)) {
      this.timers.clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
    }
    if (partial && this.frameTimer === undefined) {
      const check = () => {
        if (this.frameTimer === undefined) return;
        this.frameTimer = undefined;
        this.expire('frame_timeout', `a frame begun ${seconds(frameTimeoutMs)} ago is not complete`);
      };
      this.frameTimer = this.timers.setTimeout(() => (this.timers.afterReads ? this.timers.afterReads(check) : check()), frameTimeoutMs);
    }
  }

  /** The peer sent something, or took what we sent. */
  heardFrom(): void {
    this.heard = true;
  }

  /** A Register or Login started; `ended` when it is answered. */
  authStarted(): void {
    this.authPending++;
  }

  authEnded(): void {
    this.authPending--;
    if (this.proven()) this.stopAuth();
  }

  /**
   * The keep-alive sweep (every keepAliveMs): a connection heard from since the last sweep, or with
   * requests of its own still waiting, is alive; one silent for a whole interval gets a KeepAlive
   * push; one silent after it is dead.
   */
  sweep(busy: boolean): SweepVerdict {
    if (this.heard || busy) {
      this.heard = false;
      this.pinged = false;
      return 'alive';
    }
    if (!this.pinged) {
      this.pinged = true;
      return 'ping';
    }
    return 'dead';
  }

  /** The connection is gone: no timer fires for it any more. */
  stop(): void {
    this.stopAuth();
    if (this.frameTimer !== undefined) this.timers.clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  private stopAuth(): void {
    if (this.authTimer !== undefined) this.timers.clearTimeout(this.authTimer);
    this.authTimer = undefined;
  }
}
