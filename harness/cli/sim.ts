// `rig sim`: the same job as `rig run`, in one process on virtual time (sim/). Same options where they apply, the
// same run directory (config.json says `mode: sim`), the same checkers and exit codes. It prints the trace hash:
// the same seed on the same code gives the same hash and the same history, byte for byte.
import type { RunConfig } from '../../format/config.ts';
import { simulate } from '../../sim/run.ts';
import { reproCommand, resolveConfig } from '../run/run.ts';
import { linkLatest } from '../run/store.ts';
import type { Command } from './command.ts';
import { judgeRun, runOptionSpec, runOptions } from './run.ts';

const { env: _env, ...simOptionSpec } = runOptionSpec;

export const simUsage = [
  'rig sim [--workload NAME] [--protocol 2pc|3pc|mixed] [--time-limit S] [--rate N] [--concurrency N] [--seed N]',
  '        [--nodes N] [--quiet S] [--lease-ttl-ms MS] [--bug NAME] [--system-env RIG_A=1,...] [--store DIR]',
  '        [--nemesis LIST|all|none]',
  '',
  '  The options of rig run (rig run --help), in virtual time: --time-limit and --quiet are virtual seconds, and the',
  '  nemeses act on simulated links and nodes. No servers are started: Redis and PostgreSQL are models',
  '  (sim/models/), and the services run in this process on a seeded scheduler.',
].join('\n');

export const sim: Command = {
  name: 'sim',
  summary: 'run the system in simulation (virtual time, one process, replayed bit for bit by its seed), then check',
  usage: simUsage,
  options: simOptionSpec,
  async run(values) {
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
  console.log(
    `simulated ${(outcome.virtualMs / 1000).toFixed(1)} virtual s in ${wallS.toFixed(1)} s: ` +
      `${outcome.events} events, trace ${outcome.traceHash}`,
  );
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
