// Run-time fault settings of one service (spec section 9). The service consults them at named points; the
// signed /admin/faults endpoint changes them without a restart. Randomness comes from the seeded Rng.
import { Rng } from '../../lib/rng.ts';
import type { Clock } from './clock.ts';

export interface FaultSettings {
  /**
   * Added latency, with uniform jitter of ± jitterMs, keyed by a concrete request path (`/v1/txn/t1/prepare`), a
   * route pattern (`/v1/txn/:txnId/prepare`) or `*` for all, looked up in that order.
   */
  latency: Record<string, { ms: number; jitterMs: number }>;
  /** Probability that a participant votes no on prepare. */
  abortProbability: number;
  /** Named steps at which the process kills itself (SIGKILL: a crash, no cleanup). */
  crashPoints: CrashPoint[];
  /** Wall clock offset (clock skew). Signatures carry wall time, so beyond the receivers' window a skewed sender
   * is refused (401 stale_timestamp) and a skewed receiver refuses everyone: that is the realistic effect. */
  clockOffsetMs: number;
}

/** Every named crash point, where it sits. A name not listed here is refused, so a typo cannot arm nothing. */
export const crashPointCatalogue = {
  'after-intent-logged': 'coordinator: the intent row is durable; no participant contacted yet',
  'after-prepare-sent': 'coordinator: prepare requests are on the wire; no vote counted',
  'after-precommit-logged': 'coordinator (3PC): the decision to pre-commit is durable; no pre-commit sent',
  'after-one-precommit-sent':
    'coordinator (3PC): one participant acknowledged pre-commit, the other asked but not yet acknowledged',
  'after-decision-logged': 'coordinator: the decision is durable; no phase-2 message sent',
  'after-one-commit-sent': 'coordinator: one participant acknowledged commit, the other told but not yet acknowledged',
  'relay-after-append': 'relay: the event is on the stream; the outbox row is not marked sent',
  'participant-after-prepare-before-vote': 'participant: PREPARE TRANSACTION done; the yes vote not sent',
  'participant-after-precommit': 'participant (3PC): pre-commit recorded durably; not acknowledged',
  'participant-after-commit': 'participant: COMMIT PREPARED done; not acknowledged',
} as const;

export type CrashPoint = keyof typeof crashPointCatalogue;

export const noFaults: FaultSettings = { latency: {}, abortProbability: 0, crashPoints: [], clockOffsetMs: 0 };

const latencyEntriesMax = 64;
const latencyKeyLengthMax = 200;
const latencyMsMax = 600_000;
const crashPointsMax = 32;
const clockOffsetAbsMaxMs = 86_400_000;

export class Faults {
  private settings: FaultSettings = structuredClone(noFaults);
  private readonly rng: Rng;
  /** Aborted on every settings change, so requests being delayed re-evaluate their latency at once. */
  private changed = new AbortController();
  private delayedNow = 0;

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

  /** Requests being delayed right now. */
  get delayed(): number {
    return this.delayedNow;
  }

  replace(next: FaultSettings): void {
    this.settings = structuredClone(next);
    this.clock.setOffsetMs(next.clockOffsetMs);
    const previous = this.changed;
    this.changed = new AbortController();
    previous.abort();
  }

  /** Crashes the process if `point` is armed. Call it exactly at the step it names. */
  crashPoint(point: CrashPoint): void {
    if (this.settings.crashPoints.includes(point)) this.onCrash(point);
  }

  /** True when an injected abort should make this prepare vote no. */
  injectAbort(): boolean {
    return this.settings.abortProbability > 0 && this.rng.chance(this.settings.abortProbability);
  }

  /** The latency to add before handling a request for `path` (matched by route `pattern`), in ms (0: none). */
  latencyFor(pattern: string, path: string): number {
    const l = this.settings.latency[path] ?? this.settings.latency[pattern] ?? this.settings.latency['*'];
    if (!l) return 0;
    return Math.max(0, l.ms + (l.jitterMs > 0 ? this.rng.int(-l.jitterMs, l.jitterMs) : 0));
  }

  /**
   * Waits out the latency set for this request. A settings change re-evaluates it at once against the time
   * already waited: a healed delay ends there, as removing a Toxiproxy latency toxic lets held data through, and a
   * delay kept for this very path goes on, which lets a test hold one request while others pass.
   */
  async delay(pattern: string, path: string): Promise<void> {
    let targetMs = this.latencyFor(pattern, path);
    if (targetMs <= 0) return;
    const started = this.clock.monotonicMs();
    this.delayedNow++;
    try {
      for (;;) {
        const remainingMs = targetMs - (this.clock.monotonicMs() - started);
        if (remainingMs <= 0) return;
        const signal = this.changed.signal;
        await this.clock.sleep(remainingMs, signal);
        if (signal.aborted) targetMs = this.latencyFor(pattern, path);
      }
    } finally {
      this.delayedNow--;
    }
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
    if (typeof o !== 'number' || !Number.isInteger(o) || Math.abs(o) > clockOffsetAbsMaxMs)
      problems.push(`clockOffsetMs must be a whole number within ±${clockOffsetAbsMaxMs}`);
    else out.clockOffsetMs = o;
  }
  if (r.crashPoints !== undefined) {
    const c = r.crashPoints;
    const known = (x: unknown): x is CrashPoint => typeof x === 'string' && Object.hasOwn(crashPointCatalogue, x);
    if (!Array.isArray(c) || c.length > crashPointsMax || !c.every(known)) {
      problems.push(
        `crashPoints must be a list of at most ${crashPointsMax} of: ${Object.keys(crashPointCatalogue).join(', ')}`,
      );
    } else out.crashPoints = c;
  }
  if (r.latency !== undefined) {
    const l = r.latency;
    if (typeof l !== 'object' || l === null || Array.isArray(l) || Object.keys(l).length > latencyEntriesMax)
      problems.push(`latency must be an object of at most ${latencyEntriesMax} endpoint -> {ms, jitterMs}`);
    else {
      for (const [endpoint, v] of Object.entries(l)) {
        const e = v as { ms?: unknown; jitterMs?: unknown };
        const ok = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= latencyMsMax;
        if (endpoint !== '*' && !(endpoint.startsWith('/') && endpoint.length <= latencyKeyLengthMax))
          problems.push(`latency key "${endpoint.slice(0, 64)}" must be * or a path or route pattern starting with /`);
        else if (!ok(e?.ms) || !(e.jitterMs === undefined || ok(e.jitterMs)))
          problems.push(
            `latency["${endpoint.slice(0, 64)}"] needs ms (and optional jitterMs), whole numbers 0..${latencyMsMax}`,
          );
        else out.latency[endpoint] = { ms: e.ms as number, jitterMs: (e.jitterMs as number | undefined) ?? 0 };
      }
    }
  }
  if (problems.length > 0) throw new Error(`${source}: ${problems.join('; ')}`);
  return out;
}
