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

/** Parses and checks fault settings (from RIG_FAULTS or /admin/faults); every problem is named. */
export function parseFaultSettings(text: string, source: string): FaultSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not JSON`);
  }
  return checkFaultSettings(raw, source);
}

export function checkFaultSettings(raw: unknown, source: string): FaultSettings {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${source} must be a JSON object`);
  const r = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(r)) if (!(k in noFaults)) problems.push(`unknown setting "${k}"`);
  const out: FaultSettings = structuredClone(noFaults);
  if (r.abortProbability !== undefined) {
    const p = r.abortProbability;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) problems.push('abortProbability must be a number from 0 to 1');
    else out.abortProbability = p;
  }
  if (r.clockOffsetMs !== undefined) {
    const o = r.clockOffsetMs;
    if (typeof o !== 'number' || !Number.isInteger(o) || Math.abs(o) > 86_400_000)
      problems.push('clockOffsetMs must be a whole number within ±86400000');
    else out.clockOffsetMs = o;
  }
  if (r.crashPoints !== undefined) {
    const c = r.crashPoints;
    if (!Array.isArray(c) || c.length > 32 || !c.every((x) => typeof x === 'string' && /^[a-z0-9-]{1,64}$/.test(x))) {
      problems.push('crashPoints must be a list of at most 32 names like after-intent-logged');
    } else out.crashPoints = c as string[];
  }
  if (r.latency !== undefined) {
    const l = r.latency;
    if (typeof l !== 'object' || l === null || Array.isArray(l))
      problems.push('latency must be an object of endpoint -> {ms, jitterMs}');
    else {
      for (const [endpoint, v] of Object.entries(l)) {
        const e = v as { ms?: unknown; jitterMs?: unknown };
        const ok = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 600_000;
        if (!ok(e?.ms) || !(e.jitterMs === undefined || ok(e.jitterMs)))
          problems.push(
            `latency["${endpoint.slice(0, 64)}"] needs ms (and optional jitterMs), whole numbers 0..600000`,
          );
        else out.latency[endpoint] = { ms: e.ms as number, jitterMs: (e.jitterMs as number | undefined) ?? 0 };
      }
    }
  }
  if (problems.length > 0) throw new Error(`${source}: ${problems.join('; ')}`);
  return out;
}
