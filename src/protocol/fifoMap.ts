/**
 * A Map that keeps at most `capacity` entries, forgetting the oldest first. The order lives in a
 * ring of keys: evicting through Map#keys() instead would scan the tombstones that deleting from a
 * Map's front leaves behind, which makes a busy map slower with every entry.
 */
export class FifoMap<K, V> {
  private readonly map = new Map<K, V>();
  private readonly ring: (K | undefined)[];
  private head = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<K | undefined>(capacity);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Adds or updates `key`; an update keeps its place in the order. */
  set(key: K, value: V): void {
    if (this.map.has(key)) {
      this.map.set(key, value);
      return;
    }
    const old = this.ring[this.head];
    if (old !== undefined) this.map.delete(old);
    this.ring[this.head] = key;
    this.head = (this.head + 1) % this.capacity;
    this.map.set(key, value);
  }
}
