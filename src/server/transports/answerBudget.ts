/**
 * One memory budget for the whole server: the bytes of answers pending across every connection
 * (what their requests in flight may answer, plus what their sockets have not taken). Each
 * connection has its own bound too (pipeline.ts); this one keeps many connections together from
 * growing the server. Past it, a connection holding anything waits (the lightest resume first); one
 * holding nothing may always start a request, so a client that asks little is never held up by those
 * that ask much. So the total stays within the budget plus one answer per connection.
 */

/** A connection as the budget sees it. */
export interface BudgetMember {
  /** Answer bytes it holds now: reserved for its requests in flight plus unsent. */
  heldBytes(): number;
  /** Goes on starting requests (it was told to wait). */
  resume(): void;
}

export class AnswerBudget {
  private readonly members = new Set<BudgetMember>();
  private readonly waiting = new Set<BudgetMember>();
  /** The sum of what the members hold, as of the start of this turn (plus what was reserved since). */
  private cached: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Requests told to wait because of this budget, ever (for the operators' metric). */
  waits = 0;

  constructor(
    /** Most answer bytes pending across all connections; 0: no server-wide bound. */
    readonly maxBytes: number,
    /** How often waiting connections are looked at again while the budget is full (sockets drain without telling). */
    private readonly recheckMs = 5,
  ) {}

  join(m: BudgetMember): void {
    this.members.add(m);
  }

  leave(m: BudgetMember): void {
    this.members.delete(m);
    this.waiting.delete(m);
    this.cached = undefined;
  }

  /** Bytes held by all connections together. */
  used(): number {
    if (this.cached === undefined) {
      let sum = 0;
      for (const m of this.members) sum += m.heldBytes();
      this.cached = sum;
      // Recounted at most once a turn: a turn may start many requests.
      setImmediate(() => (this.cached = undefined));
    }
    return this.cached;
  }

  /**
   * Whether a connection holding `held` bytes may start a request now; if not, it is resumed later.
   * (The request's own answer is not counted before it starts, so the total may pass the budget by
   * at most one answer per connection.)
   */
  mayStart(m: BudgetMember, held: number): boolean {
    if (this.maxBytes <= 0 || held === 0) return true;
    if (this.used() < this.maxBytes) return true;
    this.waits++;
    this.waiting.add(m);
    this.schedule();
    return false;
  }

  /** A connection wrote answers (or its socket drained): waiting ones may go on. */
  released(): void {
    if (this.waiting.size > 0) this.cached = undefined;
  }

  /** A connection reserved `bound` bytes for a request it started. */
  reserved(bound: number): void {
    if (this.cached !== undefined) this.cached += bound;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.cached = undefined;
      // The lightest go first; each resume may reserve, so the budget is looked at again each time.
      const order = [...this.waiting].sort((a, b) => a.heldBytes() - b.heldBytes());
      this.waiting.clear();
      for (const m of order) m.resume();
      if (this.waiting.size > 0) this.schedule();
    }, this.recheckMs);
    this.timer.unref();
  }
}
