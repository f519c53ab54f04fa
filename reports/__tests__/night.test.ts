// Merging a sharded night (issue 26): hand-made shard stores, each with synthetic run directories and the outcome.json
// ci/nightly.sh leaves beside its summary. Proves that one index lists the runs of every store (two runs with the same
// name in two stores are two rows, each linking to its own report), that the night's summary lists every run once,
// and that the night's exit code follows the nightly's rule over all shards: 1 beats 2 beats 0, and a missing shard,
// a missing or doubled run, an interrupted shard or a night's wrong seed is a 2.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findOutcomes, mergeNight, type ShardOutcome } from '../night.ts';
import { writeReport } from '../report.ts';
import { writeMergedIndex } from '../store-index.ts';
import { writeSyntheticRun } from './fixtures.ts';

// Writing synthetic runs and their summaries takes a few seconds on a busy machine.
vi.setConfig({ testTimeout: 60_000 });

const root = mkdtempSync(join(tmpdir(), 'night-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SEED_BASE = 20261207000;
const RUN_NAME = join('sessions-2pc', '2026-12-07T02-00-00-000Z');

type Run = ShardOutcome['runs'][number];

function outcome(index: number, count: number, runs: Run[], more: Partial<ShardOutcome> = {}): ShardOutcome {
  return {
    format: 1,
    shard: { index, count },
    seedBase: SEED_BASE,
    started: `2026-12-07T02-00-0${index}Z`,
    exit: 0,
    total: 4,
    runs,
    invalid: [],
    broken: [],
    accused: [],
    missed: [],
    details: `## Simulation sweep (10 seeds, 2 workers, shard ${index}/${count}'s share)\n\n- sessions: exit 0`,
    ...more,
  };
}

const run = (n: number, more: Partial<Run> = {}): Run => ({
  n,
  workload: 'sessions',
  protocol: n % 2 === 0 ? '3pc' : '2pc',
  nemesis: 'partition,kill,pause',
  seed: SEED_BASE + n,
  exit: 0,
  dir: '',
  ...more,
});

/**
 * A shard's store: its outcome.json under nightly/<started>/, and a synthetic run directory with its report for each
 * run that names a directory.
 */
async function shardStore(name: string, o: ShardOutcome): Promise<string> {
  const store = join(root, name);
  for (const r of o.runs) {
    if (r.dir === '') continue;
    await writeReport(writeSyntheticRun(join(store, r.dir), { ops: 100, seed: r.seed % 1000 }).dir);
  }
  const night = join(store, 'nightly', o.started);
  mkdirSync(night, { recursive: true });
  writeFileSync(join(night, 'outcome.json'), JSON.stringify(o));
  return store;
}

describe('a night merged from two shard stores', () => {
  // Shard 1 ran runs 1 and 3, shard 2 runs 2 and 4 (round-robin); runs 1 and 2 have the same run name in their stores.
  const one = join(root, 'shard-1');
  const two = join(root, 'shard-2');
  const out = join(root, 'merged');
  beforeAll(async () => {
    await shardStore('shard-1', outcome(1, 2, [run(1, { dir: RUN_NAME }), run(3)]));
    await shardStore('shard-2', outcome(2, 2, [run(2, { dir: RUN_NAME }), run(4)]));
  });

  it('indexes the runs of both stores, same-named runs as two rows linking each to its own report', async () => {
    const text = readFileSync(await writeMergedIndex([one, two], out), 'utf8');
    const hrefs = [...text.matchAll(/<td><a href="([^"]+)">sessions-2pc\/2026-12-07T02-00-00-000Z<\/a>/g)].map(
      (m) => m[1]!,
    );
    expect(hrefs.sort()).toEqual([
      join('..', 'shard-1', RUN_NAME, 'report.html'),
      join('..', 'shard-2', RUN_NAME, 'report.html'),
    ]);
    for (const href of hrefs) expect(existsSync(resolve(out, href))).toBe(true);
    expect(text).toContain(`<td class="store">${one}</td>`);
    expect(text).toContain(`<td class="store">${two}</td>`);
    expect(text).toContain(`2 runs in ${one}, ${two}`);
  });

  it('lists every run once, in run order, with the shard that ran it, and exits 0', () => {
    const { found, problems } = findOutcomes([one, two]);
    const night = mergeNight(found, problems);
    expect(night.exit).toBe(0);
    expect(night.broken).toEqual([]);
    expect(night.runs.map((r) => [r.n, r.seed, r.shard])).toEqual([
      [1, SEED_BASE + 1, '1/2'],
      [2, SEED_BASE + 2, '2/2'],
      [3, SEED_BASE + 3, '1/2'],
      [4, SEED_BASE + 4, '2/2'],
    ]);
    expect(night.runs[0]!.dir).toBe(join(one, RUN_NAME));
  });

  it('writes summary.md through rig report --index --night, and exits with the night code', async () => {
    const { main } = await import('../../harness/cli/main.ts');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const errors: string[] = [];
    const error = vi.spyOn(console, 'error').mockImplementation((m: unknown) => {
      errors.push(String(m));
    });
    try {
      expect(await main(['report', '--index', '--night', '--store', one, '--store', two, '--out', out])).toBe(0);
      expect(await main(['report', '--index', '--store', one, '--store', two])).toBe(2);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
    expect(errors[0]).toMatch(/2 stores make one index: say where it goes with --out DIR/);
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    const rows = summary.split('\n').filter((l) => /^\| \d+ \| sessions /.test(l));
    expect(rows.map((l) => l.split(' | ')[0])).toEqual(['| 1', '| 2', '| 3', '| 4']);
    expect(rows[0]).toContain(`| 1/2 | ${join('..', 'shard-1', RUN_NAME)} |`);
    expect(rows[1]).toContain(`| 2/2 | ${join('..', 'shard-2', RUN_NAME)} |`);
    expect(summary).toContain("### Simulation sweep (10 seeds, 2 workers, shard 2/2's share)");
    expect(summary).toMatch(/## Failures\n\nnone\n/);
  });
});

describe("the night's exit code", () => {
  const found = (...outcomes: ShardOutcome[]) =>
    outcomes.map((o) => ({ outcome: o, store: `s${o.shard.index}`, storeReal: `/s${o.shard.index}` }));
  const both = (a: Partial<ShardOutcome> = {}, b: Partial<ShardOutcome> = {}) =>
    found(outcome(1, 2, [run(1), run(3)], a), outcome(2, 2, [run(2), run(4)], b));

  it('is 1 when a shard found an invalid run, even when another could not run', () => {
    const night = mergeNight(both({ exit: 1, invalid: ['run-3: INVALID'] }, { exit: 2, broken: ['bench: exit 2'] }));
    expect(night.exit).toBe(1);
    expect(night.invalid).toEqual(['shard 1/2: run-3: INVALID']);
    expect(night.broken).toEqual(['shard 2/2: bench: exit 2']);
  });

  it('is 2 when a shard could not run something, or was interrupted, and 0 when both are clean', () => {
    expect(mergeNight(both({}, { exit: 2, broken: ['bench: exit 2'] })).exit).toBe(2);
    expect(mergeNight(both({}, { exit: 130 })).broken).toEqual([
      'shard 2/2 was interrupted (exit 130): its units after that did not run',
    ]);
    expect(mergeNight(both()).exit).toBe(0);
  });

  it('is 2 when a shard left no outcome, naming the shard and the runs missing', () => {
    const night = mergeNight(found(outcome(1, 2, [run(1), run(3)])));
    expect(night.exit).toBe(2);
    expect(night.broken[0]).toMatch(/^shard 2\/2: no outcome.json of this night \(seed base 20261207000\)/);
    expect(night.broken[1]).toBe("run 2, 4 of 4: in no shard's outcome");
  });

  it('is 2 when a run was run twice or with a seed that is not the night one', () => {
    expect(mergeNight(found(outcome(1, 2, [run(1), run(2)]), outcome(2, 2, [run(2), run(3), run(4)]))).broken).toEqual([
      'run 2 was run by shard 1/2 and shard 2/2',
    ]);
    expect(mergeNight(both({}, { runs: [run(2), run(4, { seed: 5 })] })).broken).toEqual([
      "run 4: seed is not the night's (seed base 20261207000 + run)",
    ]);
  });

  it('takes the newest night, or the one of --seed-base, and the newest outcome of each shard', () => {
    const older = outcome(1, 1, [run(1), run(2), run(3), run(4)], { seedBase: 1000, started: '2026-12-06T02-00-00Z' });
    const newer = both();
    expect(mergeNight([...found(older), ...newer]).seedBase).toBe(SEED_BASE);
    const pinned = mergeNight([...found(older), ...newer], [], 1000);
    expect(pinned.seedBase).toBe(1000);
    expect(pinned.broken).toContain("run 1, 2, 3, 4: seed is not the night's (seed base 1000 + run)");
    const absent = mergeNight(newer, [], 999);
    expect(absent.exit).toBe(2);
    expect(absent.broken[0]).toMatch(/no outcome.json of the night with seed base 999/);
    const retried = found(outcome(2, 2, [run(2), run(4)], { exit: 0, started: '2026-12-07T03-00-00Z' }));
    expect(mergeNight([...both({}, { exit: 2, broken: ['x'] }), ...retried]).exit).toBe(0);
  });

  it('is 2 when an outcome.json cannot be read, naming the file', () => {
    const store = join(root, 'damaged');
    const file = join(store, 'nightly', 'x', 'outcome.json');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '{"format": 1}');
    const { found: none, problems } = findOutcomes([store]);
    expect(problems[0]).toMatch(/outcome\.json: field "shard": missing/);
    const night = mergeNight(none, problems);
    expect(night.exit).toBe(2);
    expect(night.broken).toHaveLength(2);
  });
});
