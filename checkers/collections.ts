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

/** A stable sort by a numeric key. Records usually arrive in order already, so that is checked first (no copy). */
export function sortedBy<T>(items: readonly T[], keyOf: (item: T) => number): readonly T[] {
  const keys = Float64Array.from(items, keyOf);
  let ordered = true;
  for (let i = 1; i < keys.length && ordered; i++) ordered = keys[i - 1]! <= keys[i]!;
  if (ordered) return items;
  const order = Uint32Array.from(keys, (_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
  return Array.from(order, (i) => items[i]!);
}
