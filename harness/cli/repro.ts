// `rig repro <run>`: run again with a stored run's options and its exact fault schedule.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../run/run.ts';
import { type Command, UsageError } from './command.ts';
import { executeRun } from './run.ts';

export function loadConfig(runDir: string): RunConfig {
  const path = join(runDir, 'config.json');
  if (!existsSync(path)) throw new UsageError(`${runDir} is not a run directory: it has no config.json`);
  try {
    const config = JSON.parse(readFileSync(path, 'utf8')) as RunConfig;
    if (!config.options || !Array.isArray(config.schedule)) throw new Error('options or schedule missing');
    return config;
  } catch (err) {
    throw new UsageError(`${path} is not a run configuration: ${(err as Error).message}`);
  }
}

export const repro: Command = {
  name: 'repro',
  summary: "run again with a stored run's options, seed and exact fault schedule",
  usage: 'rig repro <run-dir>\n\nThe new run goes to the store as a new run directory; the old one is never touched.',
  options: {},
  positionals: true,
  async run(_values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give exactly one run directory');
    const old = loadConfig(positionals[0]!);
    const config: RunConfig = {
      options: old.options,
      seed: old.seed,
      schedule: old.schedule,
      startedAt: new Date().toISOString(),
      versions: old.versions,
    };
    return executeRun(config);
  },
};
