// `results.json`: the verdict of every checker on one run, with the settings it was checked under. Written by
// `checkRun` (checkers/check-run.ts) and read by the reports, efficacy and shrink through `readResults`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadError, readJsonFile } from './jsonl.ts';
import { arr, dict, type Infer, int, json, num, obj, opt, type Schema, SchemaError, str } from './schema.ts';

export const RESULTS_FILE = 'results.json';

export type Validity = true | false | 'unknown';

export interface Anomaly {
  type: string;
  /** What it is about: a txn id, session id, epoch, account, cell or register key. */
  key: string;
  /** History op indices involved (invocation and completion), possibly empty for server-only evidence. */
  ops: number[];
  explanation: string;
  /** Extra evidence, e.g. the records involved or a linearizability prefix. */
  details?: Record<string, unknown>;
  /** Set by `compose`: which checker found it. */
  checker?: string;
}

export interface Result {
  valid: Validity;
  anomalies: Anomaly[];
  stats: Record<string, unknown>;
  /** Why the verdict is unknown, when it is. */
  error?: string;
  /** How much the checker examined (e.g. keys and ops), from its stats; all zero makes `valid` unknown. */
  coverage?: Record<string, number>;
}

const validity: Schema<Validity> = {
  expected: 'true, false or "unknown"',
  optional: false,
  parse(value, path) {
    if (value === true || value === false || value === 'unknown') return value;
    throw new SchemaError(path, `expected true, false or "unknown", got ${JSON.stringify(value)}`);
  },
};

const anomaly = obj({
  type: str,
  key: str,
  ops: arr(int),
  explanation: str,
  details: opt(dict(json)),
  checker: opt(str),
});

const result = obj({
  valid: validity,
  anomalies: arr(anomaly),
  stats: dict(json),
  error: opt(str),
  coverage: opt(dict(num)),
});

/** How a run is checked: stored in config.json by the run, overridable on the command line. */
export const checkSettings = obj({
  /** Every transaction must end within this long after the final heal. */
  deadlineMs: int,
  /** The linearizability search budget; over it, that checker's verdict is unknown. */
  timeLimitMs: int,
  /** The checkers that judge this run, by name. */
  checkers: arr(str),
});
export type CheckSettings = Infer<typeof checkSettings>;
const checkOverrides = obj({ deadlineMs: opt(int), timeLimitMs: opt(int), checkers: opt(arr(str)) });
export type CheckOverrides = Infer<typeof checkOverrides>;

const resultsSchema = obj({
  valid: validity,
  /** The run directory or history file that was checked. */
  input: str,
  ops: int,
  /** Absent in results written before the settings were recorded. */
  settings: opt(checkSettings),
  /** The settings given on the command line in place of the run's own: results that may differ from the run's. */
  overrides: opt(checkOverrides),
  warnings: opt(arr(str)),
  results: dict(result),
});
export type Results = Infer<typeof resultsSchema>;

export function resultsPathOf(runDir: string): string {
  return join(runDir, RESULTS_FILE);
}

export function parseResults(raw: unknown, file: string): Results {
  try {
    return resultsSchema.parse(raw, '');
  } catch (err) {
    if (err instanceof SchemaError) throw new LoadError(file, 0, err.message);
    throw err;
  }
}

/** The stored results of a run, or undefined when it was never checked. A malformed file is a LoadError. */
export function readResults(path: string): Results | undefined {
  const raw = readJsonFile(path);
  return raw === undefined ? undefined : parseResults(raw, path);
}

export function writeResults(path: string, results: Results): void {
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}

/** The names of the checkers that found the run invalid. */
export function invalidCheckers(results: Results): string[] {
  return Object.entries(results.results)
    .filter(([, r]) => r.valid === false)
    .map(([name]) => name);
}
