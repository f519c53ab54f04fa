// The checker protocol, as small as Jepsen's: `check(history, observations, opts) -> result`. `checkSafe` turns an
// exception into `unknown`; `compose` runs several and merges, false beating unknown beating true.
import type { HistoryOp } from '../format/history.ts';
import type { Observations } from '../format/observations.ts';
import type { Anomaly, Result, Validity } from '../format/results.ts';

export type { Anomaly, Result, Validity } from '../format/results.ts';

export interface CheckOptions {
  /** Every transaction must end within this long after the final heal (or its start, if later). Default 10 s. */
  deadlineNs?: number;
  /** Time of the final heal; default: the last nemesis op. */
  finalHealAt?: number;
  /** Linearizability search budget; over it the verdict is unknown. Defaults 10 s and 512 MiB. */
  timeLimitMs?: number;
  memoryLimitBytes?: number;
  /** The run's lease TTL (config.json): bounds the unavailability of a leader loss (checkers/availability.ts). */
  leaseTtlMs?: number;
  /** At most this many anomalies are listed per checker (all are counted). Default 1000. */
  anomaliesMax?: number;
}

export interface Checker {
  readonly name: string;
  /**
   * The names of the stats that count what it examined (keys, ops, transactions...), in the order its verdict line
   * shows them. A verdict needs evidence: a `valid` result whose coverage is all zero becomes `unknown`.
   */
  readonly coverage: readonly string[];
  check(history: readonly HistoryOp[], observations: Observations, opts: CheckOptions): Result;
}

export const DEFAULT_DEADLINE_NS = 10_000_000_000;

/** false beats unknown beats true. */
export function mergeValidity(values: Iterable<Validity>): Validity {
  let out: Validity = true;
  for (const v of values) {
    if (v === false) return false;
    if (v === 'unknown') out = 'unknown';
  }
  return out;
}

/** "1 decision query", "1 key", "1 relay resend". */
function singular(words: string): string {
  return words.endsWith('ies') ? `${words.slice(0, -3)}y` : words.replace(/s$/, '');
}

/** "412 keys, 6,130 ops": coverage as words (a stat named `leaderRecords` reads "leader records"). */
export function coverageText(coverage: Record<string, number>): string {
  return Object.entries(coverage)
    .map(([name, n]) => {
      const words = name.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
      return `${n.toLocaleString('en-US')} ${n === 1 ? singular(words) : words}`;
    })
    .join(', ');
}

/** The result with its coverage taken from its stats (a figure it did not report counts as 0); see `Checker`. */
function withCoverage(checker: Checker, r: Result): Result {
  const coverage: Record<string, number> = {};
  for (const name of checker.coverage) {
    const n = r.stats[name];
    coverage[name] = typeof n === 'number' ? n : 0;
  }
  if (r.valid !== true || Object.values(coverage).some((n) => n > 0)) return { ...r, coverage };
  return { ...r, coverage, valid: 'unknown', error: `examined nothing: ${coverageText(coverage)}` };
}

/**
 * A checker that cannot throw (an exception becomes `unknown` carrying the error) and that needs evidence (a valid
 * verdict on nothing examined becomes `unknown`).
 */
export function checkSafe(checker: Checker): Checker {
  return {
    name: checker.name,
    coverage: checker.coverage,
    check(history, observations, opts) {
      try {
        return withCoverage(checker, checker.check(history, observations, opts));
      } catch (err) {
        const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        return { valid: 'unknown', anomalies: [], stats: {}, error: message };
      }
    },
  };
}

export interface CompositeResult extends Result {
  results: Record<string, Result>;
}

/** A checker that also returns each part's result; usable wherever a Checker is. */
export interface CompositeChecker extends Checker {
  check(history: readonly HistoryOp[], observations: Observations, opts: CheckOptions): CompositeResult;
}

/** Runs every checker (each made safe) and merges: anomalies are tagged with their checker's name. */
export function compose(checkers: readonly Checker[]): CompositeChecker {
  return {
    name: checkers.map((c) => c.name).join('+'),
    coverage: [],
    check(history, observations, opts) {
      const results: Record<string, Result> = {};
      for (const checker of checkers) results[checker.name] = checkSafe(checker).check(history, observations, opts);
      const anomalies = Object.entries(results).flatMap(([name, r]) =>
        r.anomalies.map((a) => ({ ...a, checker: name })),
      );
      const stats = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.stats]));
      return { valid: mergeValidity(Object.values(results).map((r) => r.valid)), anomalies, stats, results };
    },
  };
}

/** Collects anomalies, listing at most `max` but counting all by type. */
export class AnomalyLog {
  readonly list: Anomaly[] = [];
  readonly counts: Record<string, number> = {};
  constructor(private readonly max: number = 1000) {}

  add(type: string, key: string, ops: readonly number[], explanation: string, details?: Record<string, unknown>): void {
    this.counts[type] = (this.counts[type] ?? 0) + 1;
    if (this.list.length >= this.max) return;
    const anomaly: Anomaly = { type, key, ops: [...ops], explanation };
    if (details) anomaly.details = details;
    this.list.push(anomaly);
  }

  get size(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  /** A result that is valid exactly when nothing was found. */
  result(stats: Record<string, unknown>): Result {
    return { valid: this.size === 0, anomalies: this.list, stats: { ...stats, anomalies: this.counts } };
  }
}

export function anomalyLog(opts: CheckOptions): AnomalyLog {
  return new AnomalyLog(opts.anomaliesMax ?? 1000);
}
