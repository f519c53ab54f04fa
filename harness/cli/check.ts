// `rig check`: load a stored run (or a plain history file, or a directory of them), run the checkers, print one verdict
// line per checker, write the results beside the input. Exit 0 valid, 1 invalid, 2 unknown or unreadable input.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkHistoryFile, checkRun, UnknownCheckerError } from '../../checkers/check-run.ts';
import {
  checkerByName,
  checkerNames,
  coverageText,
  mergeValidity,
  type Result,
  type Validity,
} from '../../checkers/index.ts';
import { LoadError } from '../../format/jsonl.ts';
import type { CheckOverrides, Results } from '../../format/results.ts';
import { isRunDir } from '../../format/run-dir.ts';
import { type Command, intOption, UsageError, type Values } from './command.ts';

interface Target {
  /** What the user sees in the output. */
  name: string;
  path: string;
  kind: 'run' | 'file';
}

/** The exit code of a verdict: 0 valid, 1 invalid, 2 unknown. */
export function exitCode(valid: Validity): number {
  return valid === true ? 0 : valid === false ? 1 : 2;
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

/** "linearizable     INVALID  1 anomaly (not-linearizable 1); first: not-linearizable register: read 1 (ops 4-5) ..." */
export function verdictLine(name: string, r: Result): string {
  const verdict = r.valid === true ? 'valid' : r.valid === false ? 'INVALID' : 'unknown';
  const head = `${name.padEnd(16)} ${verdict}`;
  if (r.valid === 'unknown') return `${head}  ${r.error ?? ''}`.trimEnd();
  const examined = r.coverage && Object.keys(r.coverage).length > 0 ? coverageText(r.coverage) : '';
  if (r.valid === true) return `${head}  ${examined}`.trimEnd();
  const counts = (r.stats.anomalies ?? {}) as Record<string, number>;
  const total = Object.values(counts).reduce((a, b) => a + b, 0) || r.anomalies.length;
  const byType = Object.entries(counts)
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');
  const first = r.anomalies[0];
  const detail = first ? `; first: ${first.type} ${first.key}: ${first.explanation}` : '';
  return `${head}  ${examined ? `${examined}; ` : ''}${total} ${total === 1 ? 'anomaly' : 'anomalies'} (${byType})${detail}`;
}

/**
 * Prints one verdict line per checker, each after `prefix`; unless the checkers were chosen on the command line, also
 * one line per checker that did not judge, so a checker left out by the run's settings is seen to be left out.
 */
export function printVerdicts(results: Results, prefix = ''): void {
  for (const w of results.warnings ?? []) console.error(`rig check: warning: ${w}`);
  for (const [name, r] of Object.entries(results.results)) console.log(`${prefix}${verdictLine(name, r)}`);
  if (results.overrides?.checkers) return;
  for (const name of checkerNames.filter((n) => !(n in results.results))) {
    console.log(`${prefix}${name.padEnd(16)} not applied to this run`);
  }
}

/** Checks one target and prints its verdicts; input that cannot be read is `unknown`, named by file and line. */
function checkTarget(t: Target, overrides: CheckOverrides, prefix: string): Validity {
  let results: Results;
  try {
    results = t.kind === 'run' ? checkRun(t.path, overrides) : checkHistoryFile(t.path, overrides);
  } catch (err) {
    if (!(err instanceof LoadError || err instanceof UnknownCheckerError)) throw err;
    console.log(`${prefix}unreadable       ${err.message}`);
    return 'unknown';
  }
  printVerdicts(results, prefix);
  return results.valid;
}

/** The command line's overrides of a run's own check settings; an option not given is left out. */
function overridesOf(values: Values): CheckOverrides {
  const out: CheckOverrides = {};
  if (values['deadline-ms'] !== undefined)
    out.deadlineMs = intOption(values['deadline-ms'], 'deadline-ms', 0, 86_400_000, 0);
  if (values['time-limit-ms'] !== undefined)
    out.timeLimitMs = intOption(values['time-limit-ms'], 'time-limit-ms', 1, 86_400_000, 1);
  if (values.checker !== undefined) {
    out.checkers = String(values.checker)
      .split(',')
      .map((name) => {
        const c = checkerByName(name.trim());
        if (!c)
          throw new UsageError(`--checker must be a comma-separated list of ${checkerNames.join(', ')}, got "${name}"`);
        return c.name;
      });
  }
  return out;
}

export const check: Command = {
  name: 'check',
  summary: 'check a stored run, a history file or a directory of them, and write the results beside them',
  usage: [
    'rig check <run-dir | history.jsonl | dir> [--checker a,b] [--deadline-ms N] [--time-limit-ms N]',
    '',
    `Checkers: ${checkerNames.join(', ')}.`,
    'A run directory holds history.jsonl and observations/*.jsonl; results go to results.json in it. It is checked',
    "with the settings in its config.json, so the verdict is the run's own; the options below override them and are",
    'recorded in results.json. A single file is a history (e.g. a plain cas-register history); results go to',
    '<file>.results.json. A directory of run directories or .jsonl files checks each.',
    "--checker: which checkers judge (default: the run's own list; for a bare history all but faults).",
    "--deadline-ms: how long after the final heal every transaction must end (default: the run's quiet window;",
    '10000 for a bare history). --time-limit-ms: the linearizability search budget (10000).',
    'Exit 0 valid, 1 invalid, 2 unknown or unreadable.',
  ].join('\n'),
  options: { checker: { type: 'string' }, 'deadline-ms': { type: 'string' }, 'time-limit-ms': { type: 'string' } },
  positionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give exactly one run directory, history file or directory');
    const overrides = overridesOf(values);
    const path = positionals[0]!;
    const targets = targetsOf(path);
    // Several targets: each line starts with the target's name, so every verdict can be told apart.
    const several = targets.length > 1 || targets[0]!.path !== path;
    const width = Math.max(...targets.map((t) => basename(t.name).length));
    const prefix = (t: Target) => (several ? `${basename(t.name).padEnd(width)}  ` : '');
    const verdicts = targets.map((t) => checkTarget(t, overrides, prefix(t)));
    return exitCode(mergeValidity(verdicts));
  },
};
