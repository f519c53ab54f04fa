// Proves the latency summary reads the right percentiles from a histogram of microseconds, in milliseconds; that
// an empty level reads as zeros; and that a percentile never reads above the largest value recorded.
import { describe, expect, it } from 'vitest';
import { LatencyRecorder, summarize } from '../latency.ts';

describe('latency summary', () => {
  it('reads p50/p90/p99/p99.9 and max of 1..1000 ms', () => {
    const r = new LatencyRecorder();
    for (let ms = 1; ms <= 1000; ms++) r.record(ms);
    const s = r.summary();
    r.destroy();
    expect(s.count).toBe(1000);
    expect(s.p50Ms).toBeCloseTo(500, -0.5);
    expect(s.p90Ms).toBeCloseTo(900, -0.5);
    expect(s.p99Ms).toBeCloseTo(990, -0.5);
    expect(s.p999Ms).toBeCloseTo(999, -0.5);
    expect(s.maxMs).toBeCloseTo(1000, -0.5);
    expect(s.meanMs).toBeCloseTo(500.5, -0.5);
  });

  it('keeps sub-millisecond precision', () => {
    const r = new LatencyRecorder();
    r.record(0.25);
    r.record(0.75);
    const s = r.summary();
    r.destroy();
    expect(s.p50Ms).toBeCloseTo(0.25, 3);
    expect(s.maxMs).toBeCloseTo(0.75, 3);
  });

  it('is all zeros with nothing recorded', () => {
    const r = new LatencyRecorder();
    expect(r.summary()).toEqual({ count: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 });
    r.destroy();
  });

  it('caps a percentile that reads the top of its bucket at the largest value', () => {
    const fake = { totalCount: 3, mean: 1000, maxValue: 410_200, getValueAtPercentile: () => 410_623 };
    expect(summarize(fake).p999Ms).toBe(410.2);
  });
});
