// Loading a stored run: `history.jsonl` plus every `observations/*.jsonl`. Any bad line is a LoadError naming the file
// and line; a truncated last line is a warning.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HistoryError, type HistoryOp, pairHistory, parseOp } from './history.ts';
import { LoadError, type Parsed, parseJsonl, readJsonl } from './jsonl.ts';
import { addObservation, emptyObservations, type Observations, parseObservation } from './observations.ts';

export { LoadError } from './jsonl.ts';

export interface LoadedHistory {
  history: HistoryOp[];
  warnings: string[];
}

export interface LoadedRun extends LoadedHistory {
  observations: Observations;
}

export const HISTORY_FILE = 'history.jsonl';
export const OBSERVATIONS_DIR = 'observations';

/** Pairs invocations with completions, turning a HistoryError into a LoadError at the offending line. */
function validated(parsed: Parsed<HistoryOp>, file: string): LoadedHistory {
  try {
    pairHistory(parsed.records);
  } catch (err) {
    if (err instanceof HistoryError) throw new LoadError(file, parsed.lines[err.index] ?? 0, err.message);
    throw err;
  }
  return { history: parsed.records, warnings: parsed.warnings };
}

export function loadHistoryFile(path: string): LoadedHistory {
  return validated(readJsonl(path, parseOp), path);
}

/** For tests and small inputs: a history given as JSONL text. */
export function parseHistory(text: string, file = 'history.jsonl'): LoadedHistory {
  return validated(parseJsonl(text, file, parseOp), file);
}

export function loadObservationsDir(dir: string): { observations: Observations; warnings: string[] } {
  const observations = emptyObservations();
  const warnings: string[] = [];
  if (!existsSync(dir)) return { observations, warnings };
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.jsonl')) continue;
    const parsed = readJsonl(join(dir, name), parseObservation);
    for (const record of parsed.records) addObservation(observations, record);
    warnings.push(...parsed.warnings);
  }
  return { observations, warnings };
}

export function isRunDir(path: string): boolean {
  return existsSync(join(path, HISTORY_FILE)) && statSync(path).isDirectory();
}

export function loadRun(dir: string): LoadedRun {
  const h = loadHistoryFile(join(dir, HISTORY_FILE));
  const o = loadObservationsDir(join(dir, OBSERVATIONS_DIR));
  return { history: h.history, observations: o.observations, warnings: [...h.warnings, ...o.warnings] };
}
