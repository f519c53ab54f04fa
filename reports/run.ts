// Reading a run directory for its report. Only the history is required: a run that crashed before it was checked, or
// before the harness collected observations, still gets a report, whose sections say what is missing. A history that
// cannot be read is an error naming the file and line (`rig report` exits 2).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type RunConfig, readConfig } from '../format/config.ts';
import type { HistoryOp } from '../format/history.ts';
import { emptyObservations, type Observations } from '../format/observations.ts';
import { type Result, readResults, resultsPathOf, type Validity } from '../format/results.ts';
import { HISTORY_FILE, LoadError, loadHistoryFile, loadObservationsDir, OBSERVATIONS_DIR } from '../format/run-dir.ts';

export const REPORT_FILE = 'report.html';

/** Input a report cannot be made from: which file, and why. */
export class ReportInputError extends Error {
  override readonly name = 'ReportInputError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** A checker's stored result, with its anomalies counted by type (all of them: the list is capped). */
export interface CheckerResult extends Result {
  counts: Record<string, number>;
}

export interface RunInput {
  dir: string;
  config: RunConfig | undefined;
  /** Absent when the run was never checked. */
  valid: Validity | undefined;
  checkers: Record<string, CheckerResult>;
  history: HistoryOp[];
  observations: Observations;
  warnings: string[];
}

function checkerResult(r: Result): CheckerResult {
  const counts: Record<string, number> = {};
  const stored = r.stats.anomalies;
  if (stored !== null && typeof stored === 'object' && !Array.isArray(stored)) {
    for (const [k, v] of Object.entries(stored)) if (typeof v === 'number') counts[k] = v;
  } else {
    for (const a of r.anomalies) counts[a.type] = (counts[a.type] ?? 0) + 1;
  }
  return { ...r, counts };
}

/** A malformed config.json or results.json costs the report its sections, not the report: it becomes a warning. */
function lenient<T>(read: () => T, warnings: string[]): T | undefined {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof LoadError)) throw err;
    warnings.push(`${err.message}; ignored`);
    return undefined;
  }
}

function results(dir: string, warnings: string[]): Pick<RunInput, 'valid' | 'checkers'> {
  const stored = lenient(() => readResults(resultsPathOf(dir)), warnings);
  if (!stored) return { valid: undefined, checkers: {} };
  const checkers = Object.fromEntries(Object.entries(stored.results).map(([name, r]) => [name, checkerResult(r)]));
  return { valid: stored.valid, checkers };
}

export function readRun(dir: string): RunInput {
  if (!existsSync(dir)) throw new ReportInputError(dir, 'no such directory');
  if (!statSync(dir).isDirectory()) throw new ReportInputError(dir, 'not a directory: give a run directory');
  const historyPath = join(dir, HISTORY_FILE);
  if (!existsSync(historyPath)) throw new ReportInputError(dir, `not a run directory: it holds no ${HISTORY_FILE}`);
  const warnings: string[] = [];
  let history: HistoryOp[];
  try {
    const loaded = loadHistoryFile(historyPath);
    history = loaded.history;
    warnings.push(...loaded.warnings);
  } catch (err) {
    if (err instanceof LoadError)
      throw new ReportInputError(err.file, err.line > 0 ? `line ${err.line}: ${err.reason}` : err.reason);
    throw err;
  }
  let observations = emptyObservations();
  try {
    const loaded = loadObservationsDir(join(dir, OBSERVATIONS_DIR));
    observations = loaded.observations;
    warnings.push(...loaded.warnings);
  } catch (err) {
    // The history alone makes a useful report; the sections that need observations say they have none.
    if (!(err instanceof LoadError)) throw err;
    warnings.push(`${err.message}; observations ignored`);
  }
  const config = lenient(() => readConfig(dir), warnings);
  return { dir, config, ...results(dir, warnings), history, observations, warnings };
}
