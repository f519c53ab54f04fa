// `config.json`: everything that defines a run (options, seed, the resolved fault schedule) and how it is checked.
// Written before the run starts, so a crashed run can still be re-checked and reproduced. `rig check`, `rig repro`,
// `rig shrink`, efficacy and the reports all read it through `readConfig`, so there is one reading of each field.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadError, readJsonFile } from './jsonl.ts';
import { checkSettings } from './results.ts';
import { arr, dict, type Infer, int, lit, obj, opt, SchemaError, str } from './schema.ts';

export const CONFIG_FILE = 'config.json';
/**
 * The run directory's format version. Version 1 is every run stored so far: config.json files without a `format`
 * field are version 1. A change that an older rig would misread raises it; readers refuse versions they do not know.
 */
export const FORMAT_VERSION = 1;

export const protocolChoices = ['2pc', '3pc', 'mixed'] as const;
export type ProtocolChoice = (typeof protocolChoices)[number];
export const providerChoices = ['auto', 'external', 'local', 'containers'] as const;
export type ProviderChoice = (typeof providerChoices)[number];

/** One fault window of the resolved schedule (ms since the history's time 0). */
const window = obj({ startMs: int, endMs: int, nemesis: str, variant: str });
export type Window = Infer<typeof window>;

const runOptions = obj({
  workload: str,
  protocol: lit(...protocolChoices),
  nemesis: str,
  timeLimitS: int,
  /** Ops per second over all clients; 0 = as fast as the clients go. */
  rate: int,
  concurrency: int,
  seed: int,
  nodes: int,
  env: lit(...providerChoices),
  store: str,
  quietS: int,
  leaseTtlMs: int,
  subscribers: int,
  cells: int,
  bug: opt(str),
  /** Extra settings for every service, e.g. RIG_PREPARE_TIMEOUT_MS. */
  systemEnv: opt(dict(str)),
  /** The command line that reproduces this run. */
  command: str,
});
export type RunOptions = Infer<typeof runOptions>;

const runConfig = obj({
  /** Absent in version 1 files written before the field existed. */
  format: opt(int),
  options: runOptions,
  seed: int,
  schedule: arr(window),
  startedAt: str,
  versions: dict(str),
  environment: opt(str),
  proxy: opt(obj({ kind: str, version: str })),
  /** How this run is checked; absent in older runs, whose checker takes the defaults (deadline: the quiet window). */
  check: opt(checkSettings),
  /** Real processes (`real`, also when absent: every run before simulation existed) or a simulation (`sim`). */
  mode: opt(lit('real', 'sim')),
  /**
   * A simulated run's trace, written when it ends: the SHA-256 of every event it ran, in order (the same seed and
   * code give the same hash), how many events, and the virtual time it covered.
   */
  sim: opt(obj({ traceHash: str, events: int, virtualMs: int })),
});
export type RunConfig = Infer<typeof runConfig>;

export function configPathOf(runDir: string): string {
  return join(runDir, CONFIG_FILE);
}

export function parseConfig(raw: unknown, file: string): RunConfig {
  const format = (raw as { format?: unknown } | null)?.format;
  if (format !== undefined && format !== FORMAT_VERSION) {
    throw new LoadError(
      file,
      0,
      `run directory format version ${JSON.stringify(format)}; this rig reads version ${FORMAT_VERSION}: use the rig that wrote it`,
    );
  }
  try {
    return runConfig.parse(raw, '');
  } catch (err) {
    if (err instanceof SchemaError) throw new LoadError(file, 0, `not a run configuration: ${err.message}`);
    throw err;
  }
}

/** The run's configuration, or undefined when the directory has none (a bare history). A bad file is a LoadError. */
export function readConfig(runDir: string): RunConfig | undefined {
  const path = configPathOf(runDir);
  const raw = readJsonFile(path);
  return raw === undefined ? undefined : parseConfig(raw, path);
}

export function writeConfig(runDir: string, config: RunConfig): void {
  writeFileSync(configPathOf(runDir), `${JSON.stringify({ format: FORMAT_VERSION, ...config }, null, 2)}\n`);
}
