// What one level counts as it runs, on either side: completed transactions with their latency, failures by kind,
// connection errors and timeouts; then the level's figures, rates over the time it really took.
import type { LevelFigures } from './figures.ts';
import { LatencyRecorder } from './latency.ts';

export class LevelTally {
  private readonly latency = new LatencyRecorder();
  private readonly failures: Record<string, number> = {};
  private readonly startedMs = performance.now();
  private completed = 0;
  private errors = 0;
  private timeouts = 0;

  ok(elapsedMs: number): void {
    this.completed++;
    this.latency.record(elapsedMs);
  }

  /** A definite failure: a status other than 201, or a floor error code. */
  fail(kind: string): void {
    this.failures[kind] = (this.failures[kind] ?? 0) + 1;
  }

  error(): void {
    this.errors++;
  }

  timeout(): void {
    this.timeouts++;
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
    };
    this.latency.destroy();
    return figures;
  }
}
