// Run-time fault settings of one service (spec section 9). The service consults them at named points; the
// signed /admin/faults endpoint changes them without a restart. Randomness comes from the seeded Rng.
import { Rng } from '../../lib/rng.ts';
import type { Clock } from './clock.ts';

export interface FaultSettings {
  /** Added latency per endpoint pattern (`*` for all), with uniform jitter of ± jitterMs. */
  latency: Record<string, { ms: number; jitterMs: number }>;
  /** Probability that a participant votes no on prepare. */
  abortProbability: number;
  /** Named steps at which the process kills itself (SIGKILL: a crash, no cleanup). */
  crashPoints: string[];
  /** Wall clock offset (clock skew). */
  clockOffsetMs: number;
}

export const noFaults: FaultSettings = { latency: {}, abortProbability: 0, crashPoints: [], clockOffsetMs: 0 };

export class Faults {
  private settings: FaultSettings = structuredClone(noFaults);
  private readonly rng: Rng;

  constructor(
    seed: number,
    private readonly clock: Clock,
    private readonly onCrash: (point: string) => void = () => process.kill(process.pid, 'SIGKILL'),
  ) {
    this.rng = new Rng(seed);
  }

  get current(): FaultSettings {
    return structuredClone(this.settings);
  }

  replace(next: FaultSettings): void {
    this.settings = structuredClone(next);
    this.clock.setOffsetMs(next.clockOffsetMs);
  }

  /** Crashes the process if `point` is armed. Call it exactly at the step it names. */
  crashPoint(point: string): void {
    if (this.settings.crashPoints.includes(point)) this.onCrash(point);
  }

  /** True when an injected abort should make this prepare vote no. */
  injectAbort(): boolean {
    return this.settings.abortProbability > 0 && this.rng.chance(this.settings.abortProbability);
  }

  /** The latency to add before handling `endpoint`, in ms (0 when none is set). */
  latencyFor(endpoint: string): number {
    const l = this.settings.latency[endpoint] ?? this.settings.latency['*'];
    if (!l) return 0;
    return Math.max(0, l.ms + (l.jitterMs > 0 ? this.rng.int(-l.jitterMs, l.jitterMs) : 0));
  }
}
