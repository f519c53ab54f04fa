// One night of ci/nightly.sh from its shards (issue 26). Each shard leaves outcome.json beside its summary.md (written
// by the script's write_outcome); `rig report --index --night` reads them from every store given, keeps the night's,
// checks that together they ran the whole matrix once with the night's seeds, and writes one summary.md. The night's
// exit code is the nightly's own rule over every shard: 1 when any run of the correct system was invalid; else 2 when
// anything could not run or ended unknown, a shard left no outcome or was interrupted, or a run of the matrix is in no
// shard's outcome or in two; else 0.
import { existsSync, mkdirSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LoadError, readJsonFile } from '../format/jsonl.ts';
import { arr, type Infer, int, obj, SchemaError, str } from '../format/schema.ts';

export const OUTCOME_FILE = 'outcome.json';
export const NIGHT_SUMMARY_FILE = 'summary.md';
/** Where ci/nightly.sh writes each night's summary and outcome under its store: nightly/<UTC start>/. */
const NIGHTLY_DIR = 'nightly';

const outcomeSchema = obj({
  format: int,
  shard: obj({ index: int, count: int }),
  seedBase: int,
  /** The shard's start, UTC, as its directory is named (2026-12-07T02-00-00Z): sorts by time. */
  started: str,
  exit: int,
  /** Runs in the whole matrix, every shard's. */
  total: int,
  runs: arr(obj({ n: int, workload: str, protocol: str, nemesis: str, seed: int, exit: int, dir: str })),
  invalid: arr(str),
  broken: arr(str),
  accused: arr(str),
  missed: arr(str),
  /** The shard summary's sections after its run table (exposure, sweep, efficacy, bench), as markdown. */
  details: str,
});
export type ShardOutcome = Infer<typeof outcomeSchema>;

export interface FoundOutcome {
  outcome: ShardOutcome;
  /** The store it was found in, as the user named it, and its real path (run directories are relative to it). */
  store: string;
  storeReal: string;
}

export interface NightRun extends Omit<ShardOutcome['runs'][number], 'dir'> {
  shard: string;
  /** The run directory's real path, or '' when the run wrote none. */
  dir: string;
}

export interface Night {
  seedBase: number;
  shards: FoundOutcome[];
  runs: NightRun[];
  invalid: string[];
  broken: string[];
  /** Outcomes found that belong to other nights (or another split), left out. */
  ignored: number;
  exit: 0 | 1 | 2;
}

const label = (o: ShardOutcome) => `shard ${o.shard.index}/${o.shard.count}`;

/** Every outcome.json under <store>/nightly/*\/; one that cannot be read is a problem line naming the file. */
export function findOutcomes(stores: string[]): { found: FoundOutcome[]; problems: string[] } {
  const found: FoundOutcome[] = [];
  const problems: string[] = [];
  for (const store of stores) {
    const nightly = join(store, NIGHTLY_DIR);
    if (!existsSync(nightly)) continue;
    for (const name of readdirSync(nightly).sort()) {
      const file = join(nightly, name, OUTCOME_FILE);
      try {
        const raw = readJsonFile(file);
        if (raw === undefined) continue;
        found.push({ outcome: outcomeSchema.parse(raw, ''), store, storeReal: realpathSync(store) });
      } catch (err) {
        if (!(err instanceof LoadError || err instanceof SchemaError)) throw err;
        problems.push(`${file}: ${err.message}; left out`);
      }
    }
  }
  return { found, problems };
}

/** The newest outcome of each shard of the night: the one of `seedBase`, else the newest night found. */
function pickNight(found: FoundOutcome[], seedBase: number | undefined) {
  const night = found.filter((f) => seedBase === undefined || f.outcome.seedBase === seedBase);
  if (night.length === 0) return undefined;
  const newest = night.reduce((a, b) => (b.outcome.started > a.outcome.started ? b : a));
  const { count } = newest.outcome.shard;
  const picked: FoundOutcome[] = [];
  const missing: number[] = [];
  for (let index = 1; index <= count; index++) {
    const mine = night.filter(
      (f) =>
        f.outcome.seedBase === newest.outcome.seedBase &&
        f.outcome.shard.count === count &&
        f.outcome.shard.index === index,
    );
    if (mine.length === 0) missing.push(index);
    else picked.push(mine.reduce((a, b) => (b.outcome.started > a.outcome.started ? b : a)));
  }
  return { seedBase: newest.outcome.seedBase, count, picked, missing };
}

/** A shard's exit code and lists, prefixed with the shard; an exit outside 0..2 (130: interrupted) cannot be trusted. */
function shardFailures({ outcome: o }: FoundOutcome, invalid: string[], broken: string[]): void {
  invalid.push(...o.invalid.map((f) => `${label(o)}: ${f}`));
  broken.push(...o.broken.map((f) => `${label(o)}: ${f}`));
  if (o.exit === 1 && o.invalid.length === 0) invalid.push(`${label(o)} exited 1 without naming an invalid run`);
  if (o.exit === 2 && o.broken.length === 0) broken.push(`${label(o)} exited 2 without naming what failed`);
  if (o.exit === 130) broken.push(`${label(o)} was interrupted (exit 130): its units after that did not run`);
  else if (o.exit < 0 || o.exit > 2) broken.push(`${label(o)} ended with exit ${o.exit}`);
}

/** The matrix, once: every run 1..total in exactly one shard's outcome, each with the night's seed for it. */
function matrixFailures(picked: FoundOutcome[], runs: NightRun[], seedBase: number, broken: string[]): void {
  const totals = [...new Set(picked.map((f) => f.outcome.total))];
  if (totals.length > 1) {
    broken.push(`the shards disagree on the matrix (${totals.join(' vs ')} runs): were they given the same knobs?`);
  }
  const byN = new Map<number, NightRun[]>();
  for (const r of runs) byN.set(r.n, [...(byN.get(r.n) ?? []), r]);
  for (const [n, rs] of byN) {
    if (rs.length > 1) broken.push(`run ${n} was run by ${rs.map((r) => `shard ${r.shard}`).join(' and ')}`);
  }
  const total = Math.max(0, ...totals);
  const absent = Array.from({ length: total }, (_, i) => i + 1).filter((n) => !byN.has(n));
  if (absent.length > 0) broken.push(`run ${absent.join(', ')} of ${total}: in no shard's outcome`);
  const reseeded = runs.filter((r) => r.seed !== seedBase + r.n);
  if (reseeded.length > 0) {
    broken.push(`run ${reseeded.map((r) => r.n).join(', ')}: seed is not the night's (seed base ${seedBase} + run)`);
  }
}

/**
 * Merges the outcomes found into one night: the night of `seedBase` when given, else the newest night found (pure:
 * the paths are taken as given).
 */
export function mergeNight(found: FoundOutcome[], problems: string[] = [], seedBase?: number): Night {
  const broken = [...problems];
  const invalid: string[] = [];
  const night = pickNight(found, seedBase);
  if (night === undefined) {
    const which = seedBase === undefined ? '' : ` of the night with seed base ${seedBase}`;
    broken.push(`no ${OUTCOME_FILE}${which} under <store>/${NIGHTLY_DIR}/ in the stores given: no shard finished`);
    return { seedBase: seedBase ?? 0, shards: [], runs: [], invalid, broken, ignored: found.length, exit: 2 };
  }
  const { count, picked, missing } = night;
  for (const index of missing) {
    broken.push(
      `shard ${index}/${count}: no ${OUTCOME_FILE} of this night (seed base ${night.seedBase}) in the stores given: it did not finish, or its store is missing`,
    );
  }
  for (const f of picked) shardFailures(f, invalid, broken);
  const runs: NightRun[] = picked
    .flatMap((f) =>
      f.outcome.runs.map((r) => ({
        ...r,
        shard: `${f.outcome.shard.index}/${count}`,
        dir: r.dir === '' ? '' : join(f.storeReal, r.dir),
      })),
    )
    .sort((a, b) => a.n - b.n);
  matrixFailures(picked, runs, night.seedBase, broken);
  const exit = invalid.length > 0 ? 1 : broken.length > 0 ? 2 : 0;
  return {
    seedBase: night.seedBase,
    shards: picked,
    runs,
    invalid,
    broken,
    ignored: found.length - picked.length,
    exit,
  };
}

const EXIT_TEXT = {
  0: 'everything ran and everything was valid',
  1: 'a run of the correct system was invalid',
  2: 'nothing invalid, but something could not run, ended unknown or is missing',
} as const;

/** The night's summary.md; run directories relative to `root` (the real path of the directory it is written to). */
export function renderNight(night: Night, root: string): string {
  const out: string[] = [];
  const shards = night.shards.map((f) => f.outcome);
  out.push(`# Nightly, seeds from ${night.seedBase}: ${shards.length} shard${shards.length === 1 ? '' : 's'} merged`);
  out.push('', `Exit ${night.exit}: ${EXIT_TEXT[night.exit]}.`, '');
  out.push('| shard | started | exit | matrix runs | store |', '| --- | --- | --- | --- | --- |');
  for (const f of night.shards) {
    const o = f.outcome;
    out.push(`| ${o.shard.index}/${o.shard.count} | ${o.started} | ${o.exit} | ${o.runs.length} | ${f.store} |`);
  }
  out.push('', '| run | workload | protocol | nemesis | seed | exit | shard | run directory |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of night.runs) {
    const dir = r.dir === '' ? '-' : relative(root, r.dir);
    out.push(`| ${r.n} | ${r.workload} | ${r.protocol} | ${r.nemesis} | ${r.seed} | ${r.exit} | ${r.shard} | ${dir} |`);
  }
  for (const o of shards) {
    if (o.details === '') continue;
    // The shard's own sections, one level down under its heading.
    out.push('', `## Shard ${o.shard.index}/${o.shard.count}`, '', o.details.replace(/^## /gm, '### '));
  }
  out.push('', '## Failures', '');
  if (night.invalid.length + night.broken.length === 0) out.push('none');
  for (const f of [...night.invalid, ...night.broken]) out.push(`- ${f}`);
  if (night.ignored > 0) out.push('', `(${night.ignored} outcome(s) of other nights in these stores were left out.)`);
  return `${out.join('\n')}\n`;
}

/** Merges the night found in `stores` (see mergeNight) into `outDir`/summary.md; returns its path and the night. */
export function writeNight(stores: string[], outDir: string, seedBase?: number): { path: string; night: Night } {
  const { found, problems } = findOutcomes(stores);
  const night = mergeNight(found, problems, seedBase);
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, NIGHT_SUMMARY_FILE);
  writeFileSync(path, renderNight(night, realpathSync(outDir)));
  return { path, night };
}
