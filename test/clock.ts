/**
 * A clock a test moves by hand, for code that takes its time from an injected clock (the throttle,
 * the gRPC token lifetimes): nothing happens until the test says how much time has passed, so a
 * rule about time is checked exactly and no test waits for real time.
 */
export class ManualClock {
  private t: number;
  private readonly timers = new Map<number, { at: number; f: () => void }>();
  private nextId = 1;

  constructor(start = 1_000_000) {
    this.t = start;
  }

  /** The current time, in ms. */
  readonly now = (): number => this.t;

  /** Calls `f` once advance() has moved the clock `ms` further. */
  readonly setTimeout = (f: () => void, ms: number): number => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + Math.max(0, ms), f });
    return id;
  };

  readonly clearTimeout = (id: unknown): void => {
    this.timers.delete(id as number);
  };

  /** Timers set and not yet due. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves the clock `ms` on, running each timer that comes due, in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let due: [number, { at: number; f: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!due || e[1].at < due[1].at)) due = e;
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].f();
    }
    this.t = end;
  }
}
