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

  it('puts a paced level on a timeline by the second each request was due', () => {
    const t = new LevelTally();
    for (let i = 1; i <= 100; i++) t.ok(i, 0.5);
    t.ok(7, 2.2);
    t.fail('503', 2.9);
    t.timeout(2.1);
    t.error(0.1);
    t.ok(1);
    const { timeline, completed } = t.finish(4, 10);
    expect(completed).toBe(102);
    expect(timeline).toEqual([
      { s: 0, completed: 100, notOk: 1, p50Ms: 50, p99Ms: 99, maxMs: 100 },
      { s: 1, completed: 0, notOk: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 },
      { s: 2, completed: 1, notOk: 2, p50Ms: 7, p99Ms: 7, maxMs: 7 },
    ]);
  });

  it('keeps no timeline for a level without due times', () => {
    const t = new LevelTally();
    t.ok(3);
    expect(t.finish(1)).not.toHaveProperty('timeline');
  });
});
