// Latency of one benchmark level: every response's own time, recorded in an HDR histogram (microseconds, 3
// significant digits), read back as the percentiles the bench reports. Recording each response ourselves (rather
// than reading autocannon's whole-millisecond histogram) keeps sub-millisecond precision for the floor and the
// system alike, and both sides are measured the same way.
import { build, type Histogram } from 'hdr-histogram-js';

/** Latencies above this are recorded as this (a request that slow has failed the benchmark anyway). */
export const latencyCeilingUs = 120_000_000;

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export const percentileKeys = [
  ['p50Ms', 50],
  ['p90Ms', 90],
  ['p99Ms', 99],
  ['p999Ms', 99.9],
] as const;

/** Milliseconds rounded to microseconds: the histogram's own resolution, and short in JSON. */
const ms = (us: number) => Math.round(us) / 1000;

/** The summary of a histogram whose values are microseconds; all zero when it holds nothing. */
export function summarize(h: Pick<Histogram, 'totalCount' | 'mean' | 'maxValue' | 'getValueAtPercentile'>) {
  const summary: LatencySummary = { count: h.totalCount, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  if (h.totalCount === 0) return summary;
  summary.meanMs = ms(h.mean);
  // A percentile reads the top of its bucket, which can lie above the largest value recorded.
  for (const [key, p] of percentileKeys) summary[key] = ms(Math.min(h.getValueAtPercentile(p), h.maxValue));
  summary.maxMs = ms(h.maxValue);
  return summary;
}

export class LatencyRecorder {
  private readonly h = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: latencyCeilingUs,
    numberOfSignificantValueDigits: 3,
  });

  record(elapsedMs: number): void {
    const us = Math.round(elapsedMs * 1000);
    this.h.recordValue(Math.min(latencyCeilingUs, Math.max(1, us)));
  }

  summary(): LatencySummary {
    return summarize(this.h);
  }

  /** Frees the histogram's memory (it may be WebAssembly-backed). */
  destroy(): void {
    this.h.destroy();
  }
}
