// Proves a level's tally: completed transactions with their latency, failures by kind, errors and timeouts, and
// rates over the time the level took (never asserting what that time is).
import { describe, expect, it } from 'vitest';
import { LevelTally } from '../tally.ts';

describe('level tally', () => {
  it('counts completions, failures by kind, errors and timeouts into the figures', () => {
    const t = new LevelTally();
    t.ok(2);
    t.ok(4);
    t.fail('503');
    t.fail('503');
    t.fail('409');
    t.error();
    t.timeout();
    t.addErrors(2, 1);
    const f = t.finish(8, 50);
    expect(f.concurrency).toBe(8);
    expect(f.offeredRatePerS).toBe(50);
    expect(f.completed).toBe(2);
    expect(f.latency.count).toBe(2);
    expect(f.latency.maxMs).toBeCloseTo(4, 2);
    expect(f.failures).toEqual({ '503': 2, '409': 1 });
    expect(f.errors).toBe(3);
    expect(f.timeouts).toBe(2);
    expect(f.throughputPerS).toBeGreaterThan(0);
  });

  it('leaves the offered rate out of a closed-loop level', () => {
    expect(new LevelTally().finish(1)).not.toHaveProperty('offeredRatePerS');
  });
});
