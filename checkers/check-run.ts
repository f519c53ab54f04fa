// Checking a stored run: the one function behind `rig run`, `rig check`, `rig efficacy`, `rig shrink` and the
// reports, so every entry point gives a run the same verdict. The settings come from the run's own config.json
// (deadline, search budget, which checkers apply); overrides replace them and are recorded in results.json beside
// the settings actually used.
import { type RunConfig, type RunOptions, readConfig, type Window } from '../format/config.ts';
import { emptyObservations } from '../format/observations.ts';
import {
  type CheckOverrides,
  type CheckSettings,
  type Results,
  resultsPathOf,
  writeResults,
} from '../format/results.ts';
import { type LoadedRun, loadHistoryFile, loadRun } from '../format/run-dir.ts';
import {
  appliedCheckerNames,
  bareHistoryCheckerNames,
  checkerByName,
  checkerNames,
  compose,
  defaultCheckerNames,
} from './index.ts';

const DEFAULT_DEADLINE_MS = 10_000;
const DEFAULT_TIME_LIMIT_MS = 10_000;

/** A checker name that is not one of ours: the caller's input was wrong. */
export class UnknownCheckerError extends Error {
  override readonly name = 'UnknownCheckerError';
  constructor(readonly checker: string) {
    super(`unknown checker "${checker}": expected a comma-separated list of ${checkerNames.join(', ')}`);
  }
}

/** How a run with these options and this schedule is checked: what `rig run` stores in its config.json. */
export function runCheckSettings(options: RunOptions, schedule: readonly Window[]): CheckSettings {
  return {
    // Every transaction must end within the quiet window the run waited for it.
    deadlineMs: options.quietS * 1000,
    timeLimitMs: DEFAULT_TIME_LIMIT_MS,
    checkers: defaultCheckerNames(schedule.length > 0),
  };
}

/** How a run is checked when nothing overrides it (a run stored before config.json said so: as `rig run` would). */
export function settingsOf(config: RunConfig | undefined): CheckSettings {
  if (!config)
    return { deadlineMs: DEFAULT_DEADLINE_MS, timeLimitMs: DEFAULT_TIME_LIMIT_MS, checkers: bareHistoryCheckerNames };
  return config.check ?? runCheckSettings(config.options, config.schedule);
}

/** The settings with every given override in place; an override left undefined keeps the run's own value. */
function resolve(base: CheckSettings, overrides: CheckOverrides): { settings: CheckSettings; given: CheckOverrides } {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as CheckOverrides;
  return { settings: { ...base, ...given }, given };
}

function judge(
  loaded: LoadedRun,
  input: string,
  settings: CheckSettings,
  overrides: CheckOverrides,
  leaseTtlMs?: number,
): Results {
  // The run's own list applies where the history feeds each checker; a list given on the command line, everywhere.
  const names = overrides.checkers ? settings.checkers : appliedCheckerNames(settings.checkers, loaded.history);
  const checkers = names.map((name) => {
    const c = checkerByName(name);
    if (!c) throw new UnknownCheckerError(name);
    return c;
  });
  const composite = compose(checkers).check(loaded.history, loaded.observations, {
    deadlineNs: settings.deadlineMs * 1e6,
    timeLimitMs: settings.timeLimitMs,
    ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
  });
  return {
    valid: composite.valid,
    input,
    ops: loaded.history.length,
    settings,
    ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
    warnings: loaded.warnings,
    results: composite.results,
  };
}

/**
 * Checks a run directory and writes its results.json. A history or observation file that cannot be read throws
 * LoadError (naming the file and line), and nothing is written.
 */
export function checkRun(runDir: string, overrides: CheckOverrides = {}): Results {
  return checkLoadedRun(runDir, loadRun(runDir), overrides);
}

/** `checkRun` for a run its caller has loaded already (`rig run` summarises the same history). */
export function checkLoadedRun(runDir: string, loaded: LoadedRun, overrides: CheckOverrides = {}): Results {
  const config = readConfig(runDir);
  const { settings, given } = resolve(settingsOf(config), overrides);
  const results = judge(loaded, runDir, settings, given, config?.options.leaseTtlMs);
  writeResults(resultsPathOf(runDir), results);
  return results;
}

/** Checks a bare history file (no config, no observations); results go to `<file>.results.json`. */
export function checkHistoryFile(path: string, overrides: CheckOverrides = {}): Results {
  const { settings, given } = resolve(settingsOf(undefined), overrides);
  const loaded = { ...loadHistoryFile(path), observations: emptyObservations() };
  const results = judge(loaded, path, settings, given);
  writeResults(`${path}.results.json`, results);
  return results;
}
