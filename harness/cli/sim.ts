// `rig sim`: the same job as `rig run`, in one process on virtual time (harness/sim/). Same options where they apply, the
// same run directory (config.json says `mode: sim`), the same checkers and exit codes. It prints the trace hash:
// the same seed on the same code gives the same hash and the same history, byte for byte.

import { availableParallelism } from 'node:os';
import type { RunConfig } from '../../format/config.ts';
import { writeIndex, writeReport } from '../../reports/index.ts';
import { reproCommand, resolveConfig } from '../run/run.ts';
import { linkLatest } from '../run/store.ts';
import { explore, parseSeedRange } from '../sim/explore.ts';
import { simulate } from '../sim/run.ts';
import type { Values } from './command.ts';
import { type Command, intOption, UsageError } from './command.ts';
import { judgeRun, runOptionSpec, runOptions } from './run.ts';

const { env: _env, ...runSpec } = runOptionSpec;
const simOptionSpec = {
  ...runSpec,
  seeds: { type: 'string' },
  workers: { type: 'string' },
  'keep-going': { type: 'boolean' },
} as const;

export const simUsage = [
  'rig sim [--workload NAME] [--protocol 2pc|3pc|mixed] [--time-limit S] [--rate N] [--concurrency N] [--seed N]',
  '        [--nodes N] [--quiet S] [--lease-ttl-ms MS] [--bug NAME] [--system-env RIG_A=1,...] [--store DIR]',
  '        [--nemesis LIST|all|none]',
  'rig sim --seeds A..B [--workers N] [--keep-going] [the options above, but --seed]',
  '',
  '  The options of rig run (rig run --help), in virtual time: --time-limit and --quiet are virtual seconds, and the',
  '  nemeses act on simulated links and nodes. No servers are started: Redis and PostgreSQL are models',
  '  (harness/sim/models/), and the services run in this process on a seeded scheduler.',
  '',
  '  --seeds        explore: run every seed from A to B (inclusive), each simulated and checked; a valid seed leaves',
  '                 nothing behind, any other keeps its run directory. Stops at the first seed not valid.',
  `  --workers      worker threads running seeds side by side [${defaultWorkers()}: the cores this machine has]`,
  '  --keep-going   run every seed even after one is not valid',
].join('\n');

export const sim: Command = {
  name: 'sim',
  summary: 'run the system in simulation (virtual time, one process, replayed bit for bit by its seed), then check',
  usage: simUsage,
  options: simOptionSpec,
  async run(values) {
    if (typeof values.seeds === 'string') return exploreSeeds(values);
    if (values.workers !== undefined || values['keep-going'] !== undefined) {
      throw new UsageError('--workers and --keep-going go with --seeds A..B');
    }
    const options = { ...runOptions(values, ''), env: 'auto' as const };
    options.command = reproCommand(options, 'sim');
    return executeSim(resolveConfig(options));
  },
};

/**
 * Simulates a resolved configuration, checks it, prints the verdict; returns the exit code. `original`: the trace
 * hash of the run being reproduced (rig repro), which the new one must match.
 */
export async function executeSim(config: RunConfig, original?: string): Promise<number> {
  const options = config.options;
  console.log(`seed ${options.seed}; reproduce with: ${options.command}`);
  const started = performance.now();
  const outcome = await simulate(config);
  linkLatest(options.store, outcome.runDir);
  const wallS = (performance.now() - started) / 1000;
  const m = outcome.messages;
  console.log(
    `simulated ${(outcome.virtualMs / 1000).toFixed(1)} virtual s in ${wallS.toFixed(1)} s: ` +
      `${outcome.events} events, trace ${outcome.traceHash}`,
  );
  console.log(`network: ${m.delivered} messages delivered, ${m.dropped} lost, ${m.reset} reset, ${m.refused} refused`);
  console.log(`run directory: ${outcome.runDir}`);
  for (const p of outcome.problems) console.error(`warning: ${p}`);
  if (outcome.violations.length > 0) {
    for (const v of outcome.violations) console.error(`determinism guard: ${v.what} at ${v.at}`);
    console.error('the run read real time or randomness, so it does not replay: fix the calls above');
    return 2;
  }
  if (original !== undefined) {
    if (original !== outcome.traceHash) {
      console.error(
        `the trace differs from the original's (${original}): the code or the models changed since, or a ` +
          'nondeterminism the guard does not see crept in',
      );
      return 2;
    }
    console.log('trace identical to the original run');
  }
  return judgeRun(outcome.runDir, options.store);
}

function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** `rig sim --seeds A..B`: explores the seeds; exit 0 all valid, 1 one was invalid, 2 one was unknown or failed. */
async function exploreSeeds(values: Values): Promise<number> {
  if (values.seed !== undefined) throw new UsageError('give --seed or --seeds, not both');
  let seeds: number[];
  try {
    seeds = parseSeedRange(String(values.seeds));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const workers = intOption(values.workers, 'workers', 1, 256, defaultWorkers());
  const base = { ...runOptions({ ...values, seed: '0' }, ''), env: 'auto' as const };
  const keepGoing = values['keep-going'] === true;
  console.log(
    `exploring ${seeds.length} seeds (${seeds[0]}..${seeds.at(-1)}) with ${workers} worker${workers === 1 ? '' : 's'}: ` +
      `${base.workload}, ${base.protocol}, nemesis ${base.nemesis || 'none'}, ${base.timeLimitS} virtual s each` +
      (base.bug ? `, planted bug ${base.bug}` : ''),
  );
  const tty = process.stdout.isTTY;
  let lastLine = 0;
  const outcome = await explore({
    base,
    seeds,
    workers,
    keepGoing,
    onSeed(r, p) {
      const perMin = (p.done / Math.max(1, p.elapsedMs)) * 60_000;
      const line = `${p.done}/${seeds.length} seeds  ${perMin.toFixed(0)} seeds/min  ${p.failed} not valid`;
      if (r.valid !== true) {
        if (tty) process.stdout.write('\n');
        console.log(`seed ${r.seed}: ${r.valid === false ? 'INVALID' : 'unknown'}: ${r.findings.join('; ')}`);
        console.log(`  run directory: ${r.runDir}`);
      }
      if (tty) process.stdout.write(`\r${line.padEnd(80)}`);
      else if (p.elapsedMs - lastLine >= 10_000 || p.done === seeds.length) {
        lastLine = p.elapsedMs;
        console.log(line);
      }
    },
  });
  if (tty) process.stdout.write('\n');
  for (const e of outcome.errors) console.error(`seed ${e.seed}: could not run: ${e.error}`);
  const failing = outcome.results.filter((r) => r.valid !== true);
  for (const r of failing) {
    if (!r.runDir) continue;
    try {
      await writeReport(r.runDir);
    } catch (err) {
      console.error(`warning: no report for seed ${r.seed}: ${(err as Error).message}`);
    }
  }
  if (failing.length > 0) await writeIndex(base.store).catch(() => {});
  const minutes = outcome.elapsedMs / 60_000;
  const done = outcome.results.length + outcome.errors.length;
  console.log(
    `${done} seeds in ${(outcome.elapsedMs / 1000).toFixed(1)} s (${(done / minutes).toFixed(0)} seeds/min): ` +
      `${outcome.results.length - failing.length} valid, ${failing.filter((r) => r.valid === false).length} invalid, ` +
      `${failing.filter((r) => r.valid === 'unknown').length} unknown, ${outcome.errors.length} could not run` +
      (outcome.stoppedEarly ? ` (stopped at the first seed not valid; --keep-going runs them all)` : ''),
  );
  for (const r of failing) {
    const command = reproCommand({ ...base, seed: r.seed }, 'sim');
    console.log(`reproduce seed ${r.seed}: ${command}`);
  }
  if (outcome.errors.length > 0 || failing.some((r) => r.valid === 'unknown')) return 2;
  return failing.length > 0 ? 1 : 0;
}
