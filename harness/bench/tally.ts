// What one level counts as it runs, on either side: completed transactions with their latency, failures by kind,
// connection errors and timeouts; then the level's figures, rates over the time it really took. A paced level also
// keeps a timeline: its requests by the second they were due, so a stall shows as the seconds it hit.
import type { LevelFigures, SecondFigures } from './figures.ts';
import { LatencyRecorder } from './latency.ts';

/** The value at percentile `p` of ascending `sorted` (nearest rank); 0 when empty. */
function rank(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const ms = (v: number) => Math.round(v * 1000) / 1000;

export class LevelTally {
  private readonly latency = new LatencyRecorder();
  private readonly failures: Record<string, number> = {};
  private readonly startedMs = performance.now();
  private completed = 0;
  private errors = 0;
  private timeouts = 0;
  /** Per second due: latencies of completed requests, and how many did not complete. */
  private readonly seconds: Array<{ latencies: number[]; notOk: number }> = [];

  private second(atS: number) {
    const i = Math.max(0, Math.floor(atS));
    for (let j = this.seconds.length; j <= i; j++) this.seconds.push({ latencies: [], notOk: 0 });
    return this.seconds[i]!;
  }

  /** A completed transaction; `atS`, the seconds into the level it was due, puts it on the timeline. */
  ok(elapsedMs: number, atS?: number): void {
    this.completed++;
    this.latency.record(elapsedMs);
    if (atS !== undefined) this.second(atS).latencies.push(elapsedMs);
  }

  /** A definite failure: a status other than 201, or a floor error code. */
  fail(kind: string, atS?: number): void {
    this.failures[kind] = (this.failures[kind] ?? 0) + 1;
    if (atS !== undefined) this.second(atS).notOk++;
  }

  error(atS?: number): void {
    this.errors++;
    if (atS !== undefined) this.second(atS).notOk++;
  }

  timeout(atS?: number): void {
    this.timeouts++;
    if (atS !== undefined) this.second(atS).notOk++;
  }

  /** Adds what a driver counted itself (autocannon counts its own errors and timeouts). */
  addErrors(errors: number, timeouts: number): void {
    this.errors += errors;
    this.timeouts += timeouts;
  }

  /** The figures; the tally is spent afterwards (its histogram is freed). */
  finish(concurrency: number, offeredRatePerS?: number): LevelFigures {
    const durationS = (performance.now() - this.startedMs) / 1000;
    const figures: LevelFigures = {
      concurrency,
      ...(offeredRatePerS === undefined ? {} : { offeredRatePerS }),
      durationS: Math.round(durationS * 1000) / 1000,
      completed: this.completed,
      throughputPerS: Math.round((this.completed / durationS) * 10) / 10,
      latency: this.latency.summary(),
      failures: this.failures,
      errors: this.errors,
      timeouts: this.timeouts,
      ...(this.seconds.length ? { timeline: this.timeline() } : {}),
    };
    this.latency.destroy();
    return figures;
  }

  private timeline(): SecondFigures[] {
    return this.seconds.map(({ latencies, notOk }, s) => {
      const sorted = latencies.sort((a, b) => a - b);
      return {
        s,
        completed: sorted.length,
        notOk,
        p50Ms: ms(rank(sorted, 50)),
        p99Ms: ms(rank(sorted, 99)),
        maxMs: ms(sorted.at(-1) ?? 0),
      };
    });
  }
}
