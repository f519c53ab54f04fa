// Shrinking a failing run (beyond what Jepsen offers): replay it with fewer operations and fewer or shorter
// faults, keeping the failure. Real runs are not deterministic (scheduling, timing), so each candidate is run several
// times and kept if it fails at least once; the report says how often each kept step failed. A simulated run is
// deterministic: each candidate is simulated once, and the same candidate always gives the same verdict.
import { checkRun, runCheckSettings } from '../../checkers/check-run.ts';
import type { RunConfig } from '../../format/config.ts';
import { invalidCheckers } from '../../format/results.ts';
import { nemeses } from '../nemesis/index.ts';
import { reproCommand, runTest } from '../run/run.ts';
import { simulate } from '../sim/run.ts';

export interface Candidate {
  change: string;
  config: RunConfig;
}

/**
 * Smaller variants of `c`, most promising first: fewer faults, less time, shorter faults, fewer clients, a lower
 * rate.
 */
export function* candidates(c: RunConfig): Generator<Candidate> {
  const o = c.options;
  const schedule = c.schedule;
  const variant = (change: string, options: Partial<RunConfig['options']>, sched = schedule): Candidate => {
    const next = { ...o, ...options };
    next.command = reproCommand(next, c.mode ?? 'real');
    return { change, config: { ...c, options: next, schedule: sched, check: runCheckSettings(next, sched) } };
  };
  for (const [i, w] of schedule.entries()) {
    yield variant(
      `drop fault ${i + 1} (${w.nemesis}/${w.variant} at ${(w.startMs / 1000).toFixed(1)} s)`,
      {},
      schedule.filter((_, j) => j !== i),
    );
  }
  const lastEnd = schedule.length ? schedule[schedule.length - 1]!.endMs : 0;
  const shorter = Math.max(Math.ceil(lastEnd / 1000) + 1, Math.floor(o.timeLimitS / 2));
  if (shorter < o.timeLimitS) yield variant(`time limit ${o.timeLimitS} -> ${shorter} s`, { timeLimitS: shorter });
  for (const [i, w] of schedule.entries()) {
    const min = Math.max(1000, nemeses.find((n) => n.name === w.nemesis)?.minWindowMs(o.leaseTtlMs) ?? 1000);
    if (w.endMs - w.startMs <= min) continue;
    yield variant(
      `shorten fault ${i + 1} to ${min} ms`,
      {},
      schedule.map((x, j) => (j === i ? { ...x, endMs: x.startMs + min } : x)),
    );
  }
  if (o.concurrency > 1)
    yield variant(`concurrency ${o.concurrency} -> ${Math.ceil(o.concurrency / 2)}`, {
      concurrency: Math.ceil(o.concurrency / 2),
    });
  // Fewer operations in the same time; rate 0 (as fast as the clients go) has no half to take.
  if (o.rate > 1) yield variant(`rate ${o.rate} -> ${Math.ceil(o.rate / 2)}/s`, { rate: Math.ceil(o.rate / 2) });
}

export interface ShrinkStep {
  change: string;
  failures: number;
  runs: number;
  runDirs: string[];
}

export interface ShrinkResult {
  original: RunConfig;
  smallest: RunConfig;
  smallestRunDir?: string;
  steps: ShrinkStep[];
  runsUsed: number;
}

export interface ShrinkOptions {
  /** Reruns per candidate. */
  runs: number;
  /** Total runs the search may spend. */
  runsMax: number;
  /** The checkers whose verdict must stay invalid. */
  checkers: string[];
  signal: AbortSignal;
  log(line: string): void;
  /** Runs `config` once: its run directory and whether one of `checkers` found it invalid (default: as it ran). */
  attempt?(config: RunConfig): Promise<{ runDir: string; failed: boolean }>;
}

/** Runs a candidate as its original ran: on real processes, or in simulation. */
async function defaultAttempt(config: RunConfig, o: ShrinkOptions): Promise<{ runDir: string; failed: boolean }> {
  const fresh = { ...config, startedAt: new Date().toISOString() };
  const outcome = config.mode === 'sim' ? await simulate(fresh) : await runTest(fresh, o.signal);
  const results = checkRun(outcome.runDir);
  return { runDir: outcome.runDir, failed: invalidCheckers(results).some((n) => o.checkers.includes(n)) };
}

export async function shrink(original: RunConfig, o: ShrinkOptions): Promise<ShrinkResult> {
  const attempt = o.attempt ?? ((config: RunConfig) => defaultAttempt(config, o));
  const result: ShrinkResult = { original, smallest: original, steps: [], runsUsed: 0 };
  // A change that never failed is not tried again in a later round: each try costs whole runs, and the same change
  // after another one was kept (dropping the only fault, say) would spend them on every round.
  const rejected = new Set<string>();
  let progress = true;
  while (progress && result.runsUsed < o.runsMax && !o.signal.aborted) {
    progress = false;
    for (const cand of candidates(result.smallest)) {
      if (rejected.has(cand.change)) continue;
      if (result.runsUsed + o.runs > o.runsMax || o.signal.aborted) break;
      const step: ShrinkStep = { change: cand.change, failures: 0, runs: 0, runDirs: [] };
      for (let i = 0; i < o.runs && step.failures === 0; i++) {
        const outcome = await attempt(cand.config);
        result.runsUsed++;
        step.runs++;
        step.runDirs.push(outcome.runDir);
        if (outcome.failed) step.failures++;
      }
      o.log(`${step.failures ? 'kept   ' : 'dropped'} ${cand.change} (failed ${step.failures} of ${step.runs})`);
      if (step.failures > 0) {
        result.steps.push(step);
        result.smallest = cand.config;
        result.smallestRunDir = step.runDirs[step.runDirs.length - 1];
        progress = true;
        break;
      }
      rejected.add(cand.change);
    }
  }
  return result;
}
