// `rig repro <run>`: run again with a stored run's options and its exact fault schedule.
import { runCheckSettings } from '../../checkers/check-run.ts';
import { type RunConfig, readConfig } from '../../format/config.ts';
import { LoadError } from '../../format/jsonl.ts';
import { reproCommand } from '../run/run.ts';
import { type Command, UsageError } from './command.ts';
import { executeRun } from './run.ts';
import { executeSim } from './sim.ts';

/** A run directory's configuration; a missing or unreadable one is a usage error that says which. */
export function loadConfig(runDir: string): RunConfig {
  let config: RunConfig | undefined;
  try {
    config = readConfig(runDir);
  } catch (err) {
    if (err instanceof LoadError) throw new UsageError(err.message);
    throw err;
  }
  if (!config) throw new UsageError(`${runDir} is not a run directory: it has no config.json`);
  return config;
}

export const repro: Command = {
  name: 'repro',
  summary: "run again with a stored run's options, seed and exact fault schedule",
  usage: [
    'rig repro <run-dir> [--real]',
    '',
    'The new run goes to the store as a new run directory; the old one is never touched.',
    'A simulated run (rig sim) is replayed in simulation, and must give the same trace hash (exit 2 if not).',
    '  --real   replay a simulated run on real processes instead: the same options, seed and fault schedule. A',
    '           failure simulation finds and real runs never reproduce is a suspected model deviation (docs/sim.md).',
  ].join('\n'),
  options: { real: { type: 'boolean' } },
  positionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give exactly one run directory');
    const old = loadConfig(positionals[0]!);
    if (values.real === true && old.mode !== 'sim') {
      throw new UsageError(`${positionals[0]} is a real run already: rig repro without --real replays it`);
    }
    const config: RunConfig = {
      options: old.options,
      seed: old.seed,
      schedule: old.schedule,
      startedAt: new Date().toISOString(),
      versions: old.versions,
      check: old.check ?? runCheckSettings(old.options, old.schedule),
    };
    // A simulated run replays in simulation, to the same trace (issue 23): the new run must match it.
    if (old.mode === 'sim' && values.real !== true) return executeSim(config, old.sim?.traceHash);
    if (old.mode === 'sim') {
      config.options = { ...old.options, command: reproCommand(old.options, 'real') };
      console.log(`replaying the simulated run ${positionals[0]} on real processes`);
    }
    return executeRun(config);
  },
};
