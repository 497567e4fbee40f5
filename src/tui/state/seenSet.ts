/**
 * An immutable set that grows cheaply: a large base shared between states plus a small recent
 * part copied on each addition, folded into a new base now and then. Copying one 10,000-entry Set
 * per arriving message would make every message cost the whole history in garbage.
 */
export interface SeenSet<T> {
  readonly base: ReadonlySet<T>;
  readonly recent: ReadonlySet<T>;
}

const FOLD_AT = 1024;

export const emptySeen = <T>(): SeenSet<T> => ({ base: new Set<T>(), recent: new Set<T>() });

export const seenFrom = <T>(values: Iterable<T>): SeenSet<T> => ({ base: new Set(values), recent: new Set<T>() });

export const hasSeen = <T>(s: SeenSet<T>, v: T): boolean => s.base.has(v) || s.recent.has(v);

/** A set with `values` added; `s` is unchanged. */
export function addSeen<T>(s: SeenSet<T>, values: readonly T[]): SeenSet<T> {
  if (values.length === 0) return s;
  const recent = new Set(s.recent);
  for (const v of values) if (!s.base.has(v)) recent.add(v);
  if (recent.size < FOLD_AT) return { base: s.base, recent };
  const base = new Set(s.base);
  for (const v of recent) base.add(v);
  return { base, recent: new Set() };
}
