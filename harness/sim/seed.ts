// One seed of an exploration (rig sim --seeds): simulate, check, and keep the run directory only if the run is not
// valid. Runs in a worker thread (sim/explore.ts), one seed at a time: the determinism guard allows one simulation per
// thread, and parallelism is across seeds.
import { rmSync } from 'node:fs';
import { checkLoadedRun } from '../../checkers/check-run.ts';
import type { RunOptions } from '../../format/config.ts';
import { invalidCheckers } from '../../format/results.ts';
import { loadRun } from '../../format/run-dir.ts';
import { reproCommand, resolveConfig } from '../run/run.ts';
import { simulate } from './run.ts';

export interface SeedResult {
  seed: number;
  valid: boolean | 'unknown';
  traceHash: string;
  /** Kept only when the run is not valid. */
  runDir?: string;
  /** The checkers that found it invalid (or were unknown), with their anomaly counts. */
  findings: string[];
  events: number;
  wallMs: number;
}

/** Simulates `base` with `seed` into `store`; a valid run's directory is removed. */
export async function runSeed(base: RunOptions, seed: number, store: string): Promise<SeedResult> {
  const started = performance.now();
  const options: RunOptions = { ...base, seed, store };
  options.command = reproCommand(options, 'sim');
  const outcome = await simulate(resolveConfig(options));
  const results = checkLoadedRun(outcome.runDir, loadRun(outcome.runDir));
  const problems = [...outcome.problems, ...outcome.violations.map((v) => `determinism guard: ${v.what} at ${v.at}`)];
  const valid = problems.length > 0 && results.valid === true ? 'unknown' : results.valid;
  const findings = [
    ...invalidCheckers(results).map((name) => `${name}: ${results.results[name]?.anomalies.length ?? 0} anomalies`),
    ...Object.entries(results.results)
      .filter(([, r]) => r.valid === 'unknown')
      .map(([name]) => `${name}: unknown`),
    ...problems,
  ];
  const keep = valid !== true;
  if (!keep) rmSync(outcome.runDir, { recursive: true, force: true });
  return {
    seed,
    valid,
    traceHash: outcome.traceHash,
    ...(keep ? { runDir: outcome.runDir } : {}),
    findings,
    events: outcome.events,
    wallMs: performance.now() - started,
  };
}
