// Runs the efficacy matrix: each planted bug on its seeds until its checker reports it, and the correct system on
// the same seeds, which must stay valid. The result is a table: per bug, the seeds tried, the seed and time of the
// first detection, and whether the correct system passed.
import { checkRun } from '../../checkers/check-run.ts';
import type { ProviderChoice, RunOptions } from '../../format/config.ts';
import { invalidCheckers } from '../../format/results.ts';
import { reproCommand, resolveConfig, runTest } from '../run/run.ts';
import { simulate } from '../sim/run.ts';
import type { BugCase } from './matrix.ts';

export interface CaseRun {
  seed: number;
  bug?: string;
  runDir: string;
  valid: boolean | 'unknown';
  /** Checkers that found the history invalid. */
  invalid: string[];
  seconds: number;
}

export interface BugRow {
  bug: string;
  checker: string;
  config: string;
  seedsTried: number[];
  detected?: { seed: number; afterSeconds: number; runDir: string };
  correct: { seeds: number[]; allValid: boolean; invalidRuns: string[] };
}

export interface EfficacyOptions {
  /** Real processes, or the simulation (harness/sim/): the same cases, judged by the same checkers. */
  mode: 'real' | 'sim';
  store: string;
  env: ProviderChoice;
  quietS: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

function options(c: BugCase, seed: number, bug: string | undefined, o: EfficacyOptions): RunOptions {
  const opts: RunOptions = {
    workload: c.workload,
    protocol: c.protocol,
    nemesis: c.nemesis,
    timeLimitS: c.timeLimitS,
    rate: c.rate ?? 30,
    concurrency: c.concurrency ?? 6,
    seed,
    nodes: 3,
    env: o.env,
    store: o.store,
    quietS: o.quietS,
    leaseTtlMs: c.leaseTtlMs ?? 1000,
    subscribers: 1000,
    cells: 100,
    command: '',
    ...(bug ? { bug } : {}),
    ...(c.systemEnv ? { systemEnv: c.systemEnv } : {}),
  };
  opts.command = reproCommand(opts, o.mode);
  return opts;
}

async function runOnce(c: BugCase, seed: number, bug: string | undefined, o: EfficacyOptions): Promise<CaseRun> {
  const started = performance.now();
  const config = resolveConfig(options(c, seed, bug, o));
  const outcome = o.mode === 'sim' ? await simulate(config) : await runTest(config, o.signal);
  const results = checkRun(outcome.runDir);
  return {
    seed,
    ...(bug ? { bug } : {}),
    runDir: outcome.runDir,
    valid: results.valid,
    invalid: invalidCheckers(results),
    seconds: (performance.now() - started) / 1000,
  };
}

/** One bug: its seeds until detection (all of them if never), then the correct system on the same seeds. */
export async function evaluate(c: BugCase, o: EfficacyOptions, correctCache: Map<string, CaseRun>): Promise<BugRow> {
  const row: BugRow = {
    bug: c.bug,
    checker: c.checker,
    config: `${o.mode === 'sim' ? 'sim: ' : ''}${c.workload} ${c.protocol} nemesis=${c.nemesis} ${c.timeLimitS}s${c.rate ? ` at ${c.rate} ops/s` : ''}`,
    seedsTried: [],
    correct: { seeds: [], allValid: true, invalidRuns: [] },
  };
  const started = performance.now();
  for (const seed of c.seeds) {
    if (o.signal.aborted) break;
    row.seedsTried.push(seed);
    const r = await runOnce(c, seed, c.bug, o);
    o.log(
      `${c.bug} seed ${seed}: ${r.invalid.length ? `invalid (${r.invalid.join(', ')})` : String(r.valid)} in ${r.seconds.toFixed(0)} s`,
    );
    if (r.invalid.includes(c.checker)) {
      row.detected = { seed, afterSeconds: Math.round((performance.now() - started) / 1000), runDir: r.runDir };
      break;
    }
  }
  for (const seed of row.seedsTried) {
    if (o.signal.aborted) break;
    const key = `${o.mode}/${c.workload}/${c.protocol}/${c.nemesis}/${c.timeLimitS}/${c.rate}/${c.concurrency}/${c.leaseTtlMs}/${JSON.stringify(c.systemEnv ?? {})}/${seed}`;
    let r = correctCache.get(key);
    if (!r) {
      r = await runOnce(c, seed, undefined, o);
      correctCache.set(key, r);
      o.log(`correct system, ${key}: ${r.valid === true ? 'valid' : `NOT valid (${r.invalid.join(', ') || r.valid})`}`);
    }
    row.correct.seeds.push(seed);
    if (r.valid !== true) {
      row.correct.allValid = false;
      row.correct.invalidRuns.push(r.runDir);
    }
  }
  return row;
}

export function efficacyTable(rows: readonly BugRow[]): string {
  const lines = [
    '| bug | checker | run | seeds tried | detected | correct system |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const detected = r.detected ? `seed ${r.detected.seed}, after ${r.detected.afterSeconds} s` : 'NOT DETECTED';
    const correct = r.correct.allValid
      ? `valid on ${r.correct.seeds.join(', ')}`
      : `INVALID: ${r.correct.invalidRuns.join(' ')}`;
    lines.push(`| ${r.bug} | ${r.checker} | ${r.config} | ${r.seedsTried.join(', ')} | ${detected} | ${correct} |`);
  }
  return lines.join('\n');
}
