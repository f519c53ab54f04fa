// A seeded PRNG (mulberry32) for the benchmarks' generated histories. Tests draw from fast-check instead, so that
// failures shrink and replay by seed; nothing in checkers/ uses Math.random.

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number in [0, n). */
export function below(random: () => number, n: number): number {
  return Math.floor(random() * n);
}
