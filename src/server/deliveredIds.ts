/**
 * The ids handed to one session and not yet acknowledged, kept sorted. Live pushes arrive in
 * increasing id order, so adding is an append and a cumulative Ack takes a prefix: no hashing and
 * no allocation per message, unlike a Set.
 */
export class DeliveredIds {
  private ids: number[] = [];
  private head = 0;

  get size(): number {
    return this.ids.length - this.head;
  }

  add(id: number): void {
    const ids = this.ids;
    const n = ids.length;
    if (n === this.head || ids[n - 1]! < id) {
      ids.push(id);
      return;
    }
    // Out of order (a fetched older message, or a push after its commit): insert in place.
    const at = this.search(id);
    if (ids[at] !== id) ids.splice(at, 0, id);
  }

  has(id: number): boolean {
    const at = this.search(id);
    return at < this.ids.length && this.ids[at] === id;
  }

  /** Removes and returns every id <= upTo, in increasing order. */
  takeUpTo(upTo: number): number[] {
    const end = this.search(upTo + 1);
    const taken = this.ids.slice(this.head, end);
    this.head = end;
    if (this.head === this.ids.length) {
      this.ids = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.head);
      this.head = 0;
    }
    return taken;
  }

  delete(id: number): void {
    const at = this.search(id);
    if (at < this.ids.length && this.ids[at] === id) this.ids.splice(at, 1);
  }

  clear(): void {
    this.ids = [];
    this.head = 0;
  }

  /** The first index (from head) whose id is >= `id`. */
  private search(id: number): number {
    let lo = this.head;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
