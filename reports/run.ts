// Reading a run directory for its report. Only the history is required: a run that crashed before it was checked, or
// before the harness collected observations, still gets a report, whose sections say what is missing. A history that
// cannot be read is an error naming the file and line (`rig report` exits 2).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryOp } from '../checkers/history.ts';
import {
  HISTORY_FILE,
  LoadError,
  loadHistoryFile,
  loadObservationsDir,
  OBSERVATIONS_DIR,
  RESULTS_FILE,
} from '../checkers/load.ts';
import { emptyObservations, type Observations } from '../checkers/observations.ts';
import type { Anomaly, Validity } from '../checkers/result.ts';
import { isPlainObject } from '../checkers/schema.ts';

export const CONFIG_FILE = 'config.json';
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

export interface CheckerResult {
  valid: Validity;
  anomalies: Anomaly[];
  /** Anomalies by type, all of them (the list is capped). */
  counts: Record<string, number>;
  stats: Record<string, unknown>;
  error?: string;
}

export interface RunInput {
  dir: string;
  config: Record<string, unknown> | undefined;
  /** Absent when the run was never checked. */
  valid: Validity | undefined;
  checkers: Record<string, CheckerResult>;
  history: HistoryOp[];
  observations: Observations;
  warnings: string[];
}

function readJson(path: string, warnings: string[]): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (isPlainObject(value)) return value;
    warnings.push(`${path}: not a JSON object; ignored`);
  } catch (err) {
    warnings.push(`${path}: unreadable (${(err as Error).message}); ignored`);
  }
  return undefined;
}

const isValidity = (v: unknown): v is Validity => v === true || v === false || v === 'unknown';

function checkerResult(raw: unknown): CheckerResult | undefined {
  if (!isPlainObject(raw) || !isValidity(raw.valid)) return undefined;
  const anomalies = Array.isArray(raw.anomalies) ? (raw.anomalies.filter(isPlainObject) as unknown as Anomaly[]) : [];
  const stats = isPlainObject(raw.stats) ? raw.stats : {};
  const counts: Record<string, number> = {};
  if (isPlainObject(stats.anomalies)) {
    for (const [k, v] of Object.entries(stats.anomalies)) if (typeof v === 'number') counts[k] = v;
  } else {
    for (const a of anomalies) counts[String(a.type)] = (counts[String(a.type)] ?? 0) + 1;
  }
  const out: CheckerResult = { valid: raw.valid, anomalies, counts, stats };
  if (typeof raw.error === 'string') out.error = raw.error;
  return out;
}

function results(dir: string, warnings: string[]): Pick<RunInput, 'valid' | 'checkers'> {
  const raw = readJson(join(dir, RESULTS_FILE), warnings);
  const checkers: Record<string, CheckerResult> = {};
  if (!raw) return { valid: undefined, checkers };
  for (const [name, r] of Object.entries(isPlainObject(raw.results) ? raw.results : {})) {
    const parsed = checkerResult(r);
    if (parsed) checkers[name] = parsed;
    else warnings.push(`${join(dir, RESULTS_FILE)}: result of checker "${name}" has no valid verdict; ignored`);
  }
  return { valid: isValidity(raw.valid) ? raw.valid : undefined, checkers };
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
  const config = readJson(join(dir, CONFIG_FILE), warnings);
  return { dir, config, ...results(dir, warnings), history, observations, warnings };
}
