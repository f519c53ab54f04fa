// Small collection helpers shared by the checkers; each is one linear pass.

export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = out.get(key);
    if (list) list.push(item);
    else out.set(key, [item]);
  }
  return out;
}

/** The last item per key wins: records are in file order, and later lines are newer. */
export function indexBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T> {
  const out = new Map<K, T>();
  for (const item of items) out.set(keyOf(item), item);
  return out;
}

export function countBy<T>(items: Iterable<T>, keyOf: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const key = keyOf(item);
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** A stable sort by a numeric key (ties keep file order), on a copy. */
export function sortedBy<T>(items: readonly T[], keyOf: (item: T) => number): T[] {
  return items
    .map((item, i) => ({ item, i, k: keyOf(item) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.item);
}
