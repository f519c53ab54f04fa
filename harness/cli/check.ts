// `rig check`: load a stored run (or a plain history file, or a directory of them), run the checkers, print one verdict
// line per checker, write the results beside the input. Exit 0 valid, 1 invalid, 2 unknown or unreadable input.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  type CompositeChecker,
  checkerByName,
  checkerNames,
  compose,
  mergeValidity,
  type Result,
  type Validity,
} from '../../checkers/index.ts';
import { isRunDir, LoadError, type LoadedRun, loadHistoryFile, loadRun, RESULTS_FILE } from '../../checkers/load.ts';
import { emptyObservations } from '../../checkers/observations.ts';
import type { Checker, CheckOptions } from '../../checkers/result.ts';
import { type Command, intOption, UsageError } from './command.ts';

interface Target {
  /** What the user sees in the output. */
  name: string;
  path: string;
  kind: 'run' | 'file';
}

const EXIT: Record<string, number> = { true: 0, false: 1, unknown: 2 };

function resultsPath(t: Target): string {
  return t.kind === 'run' ? join(t.path, RESULTS_FILE) : `${t.path}.results.json`;
}

function targetsOf(path: string): Target[] {
  if (!existsSync(path)) throw new UsageError(`no such file or directory: ${path}`);
  if (isRunDir(path)) return [{ name: path, path, kind: 'run' }];
  if (!statSync(path).isDirectory()) return [{ name: path, path, kind: 'file' }];
  const targets: Target[] = [];
  for (const entry of readdirSync(path).sort()) {
    const full = join(path, entry);
    if (isRunDir(full)) targets.push({ name: entry, path: full, kind: 'run' });
    else if (entry.endsWith('.jsonl') && statSync(full).isFile())
      targets.push({ name: entry, path: full, kind: 'file' });
  }
  if (targets.length === 0)
    throw new UsageError(`${path} holds no history.jsonl, no run directories and no .jsonl files`);
  return targets;
}

function load(t: Target): LoadedRun {
  if (t.kind === 'run') return loadRun(t.path);
  return { ...loadHistoryFile(t.path), observations: emptyObservations() };
}

/** "linearizable     INVALID  1 anomaly (not-linearizable 1); first: not-linearizable register: read 1 (ops 4-5) ..." */
export function verdictLine(name: string, r: Result): string {
  const verdict = r.valid === true ? 'valid' : r.valid === false ? 'INVALID' : 'unknown';
  const head = `${name.padEnd(16)} ${verdict}`;
  if (r.valid === 'unknown') return `${head}  ${r.error ?? ''}`.trimEnd();
  if (r.valid === true) return head;
  const counts = (r.stats.anomalies ?? {}) as Record<string, number>;
  const total = Object.values(counts).reduce((a, b) => a + b, 0) || r.anomalies.length;
  const byType = Object.entries(counts)
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  const first = r.anomalies[0];
  const detail = first ? `; first: ${first.type} ${first.key}: ${first.explanation}` : '';
  return `${head}  ${total} ${total === 1 ? 'anomaly' : 'anomalies'} (${byType})${detail}`;
}

function checkTarget(t: Target, checker: CompositeChecker, opts: CheckOptions, prefix: string): Validity {
  let run: LoadedRun;
  try {
    run = load(t);
  } catch (err) {
    if (!(err instanceof LoadError)) throw err;
    console.log(`${prefix}unreadable       ${err.message}`);
    return 'unknown';
  }
  for (const w of run.warnings) console.error(`rig check: warning: ${w}`);
  const result = checker.check(run.history, run.observations, opts);
  for (const [name, r] of Object.entries(result.results)) console.log(`${prefix}${verdictLine(name, r)}`);
  const out = {
    valid: result.valid,
    input: t.path,
    ops: run.history.length,
    options: opts,
    warnings: run.warnings,
    results: result.results,
  };
  writeFileSync(resultsPath(t), `${JSON.stringify(out, null, 2)}\n`);
  return result.valid;
}

function chosenCheckers(value: unknown): Checker[] {
  if (value === undefined) return checkerNames.map((n) => checkerByName(n)!);
  return String(value)
    .split(',')
    .map((name) => {
      const c = checkerByName(name.trim());
      if (!c)
        throw new UsageError(`--checker must be a comma-separated list of ${checkerNames.join(', ')}, got "${name}"`);
      return c;
    });
}

/** Checks a stored run directory with every checker (or `names`), prints a verdict line each, writes results.json. */
export function checkStoredRun(runDir: string, opts: CheckOptions, names?: string): Validity {
  return checkTarget({ name: runDir, path: runDir, kind: 'run' }, compose(chosenCheckers(names)), opts, '');
}

export const check: Command = {
  name: 'check',
  summary: 'check a stored run, a history file or a directory of them, and write the results beside them',
  usage: [
    'rig check <run-dir | history.jsonl | dir> [--checker a,b] [--deadline-ms N] [--time-limit-ms N]',
    '',
    `Checkers (default all): ${checkerNames.join(', ')}.`,
    'A run directory holds history.jsonl and observations/*.jsonl; results go to results.json in it. A single file is',
    'a history (e.g. a plain cas-register history); results go to <file>.results.json. A directory of run directories',
    'or .jsonl files checks each. --deadline-ms: how long after the final heal every transaction must end (10000).',
    '--time-limit-ms: the linearizability search budget (10000). Exit 0 valid, 1 invalid, 2 unknown or unreadable.',
  ].join('\n'),
  options: { checker: { type: 'string' }, 'deadline-ms': { type: 'string' }, 'time-limit-ms': { type: 'string' } },
  positionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give exactly one run directory, history file or directory');
    const opts: CheckOptions = {
      deadlineNs: intOption(values['deadline-ms'], 'deadline-ms', 0, 86_400_000, 10_000) * 1e6,
      timeLimitMs: intOption(values['time-limit-ms'], 'time-limit-ms', 1, 86_400_000, 10_000),
    };
    const checker = compose(chosenCheckers(values.checker));
    const path = positionals[0]!;
    const targets = targetsOf(path);
    // Several targets: each line starts with the target's name, so every verdict can be told apart.
    const several = targets.length > 1 || targets[0]!.path !== path;
    const width = Math.max(...targets.map((t) => basename(t.name).length));
    const prefix = (t: Target) => (several ? `${basename(t.name).padEnd(width)}  ` : '');
    const verdicts = targets.map((t) => checkTarget(t, checker, opts, prefix(t)));
    return EXIT[String(mergeValidity(verdicts))]!;
  },
};
