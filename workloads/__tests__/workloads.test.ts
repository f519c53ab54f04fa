// Proves every workload is deterministic per seed, lazy, and produces requests the gateway accepts.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../lib/rng.ts';
import { validateSessionRequest } from '../../system/edge-gateway/validation.ts';
import { workloads } from '../index.ts';
import { zipf } from '../sessions.ts';

const opts = { protocol: 'mixed' as const, subscribers: 1000, cells: 100 };

describe.each(workloads.map((w) => [w.name, w] as const))('workload %s', (_name, w) => {
  const take = (seed: number, n: number) => {
    const gen = w.ops(new Rng(seed), opts);
    return Array.from({ length: n }, () => gen.next().value);
  };

  it('yields the same sequence for the same seed and another for another seed', () => {
    expect(take(42, 300)).toEqual(take(42, 300));
    expect(take(43, 30)).not.toEqual(take(42, 30));
  });

  it('yields only requests the gateway accepts, with unique request ids', () => {
    const ops = take(5, 1000);
    expect(new Set(ops.map((o) => o.value.requestId)).size).toBe(ops.length);
    for (const op of ops) {
      const { requestId: _id, ...body } = op.value;
      expect(validateSessionRequest(body).ok, JSON.stringify(body)).toBe(true);
    }
  });
});

describe('zipf', () => {
  it('stays in range and favours low ranks', () => {
    const rng = new Rng(1);
    const counts = new Array(100).fill(0);
    for (let i = 0; i < 20_000; i++) counts[zipf(rng, 100)]++;
    expect(counts.every((c) => c >= 0)).toBe(true);
    expect(counts[0]).toBeGreaterThan(counts[50] * 5);
  });
});
