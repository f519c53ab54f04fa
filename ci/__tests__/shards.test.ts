// The nightly's shards (issue 26), through its dry run, which prints each unit a shard would run and starts nothing:
// for a small matrix, the lists of shards 1/3, 2/3 and 3/3 are disjoint and together exactly the unsharded list (the
// same runs with the same seeds); the matrix is dealt round-robin, the bench goes to shard 1 only; a malformed shard
// exits 2 with a message before anything is written. And a real shard that owns nothing heavy (every step off, no
// matrix run of its own: no server starts) writes an outcome.json that the merge reads.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { findOutcomes, mergeNight } from '../../reports/night.ts';
import { listUnits, shardLists } from './list.ts';

// The outcome test runs the script for real (its index step loads rig under tsx): seconds on a busy machine.
vi.setConfig({ testTimeout: 60_000 });

const root = mkdtempSync(join(tmpdir(), 'shards-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SMALL = {
  NIGHTLY_WORKLOADS: 'sessions lifecycle',
  NIGHTLY_PROTOCOLS: '2pc 3pc',
  NIGHTLY_NEMESES: 'partition,kill,pause all',
  NIGHTLY_SEEDS: '2',
  NIGHTLY_SIM_SEEDS: '10',
  NIGHTLY_SEED_BASE: '20261207000',
  NIGHTLY_STORE: join(root, 'store'),
};

const sorted = (lists: string[][]) => lists.flat().sort();

describe('ci/nightly.sh --list', () => {
  const whole = listUnits(undefined, SMALL);

  it('lists the unsharded night: 16 runs with the seeds of the night, exposure, 10 sim seeds and the fixed steps', () => {
    expect(whole.status).toBe(0);
    const runs = whole.units.filter((u) => u.startsWith('run '));
    expect(runs).toHaveLength(2 * 2 * 2 * 2);
    expect(runs[0]).toBe('run 1 sessions 2pc partition,kill,pause 20261207001');
    expect(runs[15]).toBe('run 16 lifecycle 3pc all 20261207016');
    expect(whole.units.filter((u) => u.startsWith('sim ')).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `sim ${i < 5 ? 'sessions' : 'lifecycle'} seed ${20261207000 + i}`).sort(),
    );
    expect(whole.units.filter((u) => u.startsWith('exposure '))).toHaveLength(4);
    expect(whole.units.filter((u) => u.startsWith('sim-exposure '))).toHaveLength(4);
    expect(whole.units.slice(-4)).toEqual(['efficacy-sim', 'efficacy', 'bench', 'mutation']);
    expect(listUnits('1/1', SMALL).units).toEqual(whole.units);
    expect(existsSync(SMALL.NIGHTLY_STORE)).toBe(false);
  });

  it('splits it into 3 shards that are disjoint and together exactly the unsharded night', () => {
    const shards = shardLists(3, SMALL);
    const all = sorted(shards);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual([...whole.units].sort());
    // Round-robin: 16 runs as 6, 5, 5, in the unsharded order.
    const runs = shards.map((s) => s.filter((u) => u.startsWith('run ')).map((u) => Number(u.split(' ')[1])));
    expect(runs).toEqual([
      [1, 4, 7, 10, 13, 16],
      [2, 5, 8, 11, 14],
      [3, 6, 9, 12, 15],
    ]);
    expect(shards.map((s) => s.includes('bench'))).toEqual([true, false, false]);
    // The exposure runs stay together: their path totals are over all four.
    expect(shards.map((s) => s.filter((u) => u.startsWith('exposure ')).length)).toEqual([0, 0, 4]);
  });

  it('covers the default night too, in 2, 4 and 5 shards, and the flag forms list the same', () => {
    const knobs = { NIGHTLY_SEED_BASE: '20261207000', NIGHTLY_STORE: SMALL.NIGHTLY_STORE, NIGHTLY_MUTATION: '1' };
    const full = listUnits(undefined, knobs).units;
    expect(full.filter((u) => u.startsWith('run '))).toHaveLength(72);
    expect(full).toContain('mutation');
    for (const n of [2, 4, 5]) {
      const all = sorted(shardLists(n, knobs));
      expect(new Set(all).size).toBe(all.length);
      expect(all).toEqual([...full].sort());
    }
    const noDryRun = { ...knobs, NIGHTLY_DRY_RUN: '0' };
    expect(listUnits(undefined, noDryRun, ['--shard', '2/4', '--list']).units).toEqual(shardLists(4, knobs)[1]);
    expect(listUnits(undefined, knobs, ['--shard=3/4']).units).toEqual(shardLists(4, knobs)[2]);
  });

  it('exits 2 on a malformed shard or argument, saying what is wrong, before writing anything', () => {
    for (const [shard, message] of [
      ['0/2', /bad shard "0\/2".*expected i\/n/],
      ['3/2', /bad shard "3\/2".*shard 3 of 2 does not exist/],
      ['a/b', /bad shard "a\/b"/],
      ['2', /bad shard "2"/],
    ] as const) {
      const r = listUnits(shard, SMALL);
      expect(r.status, shard).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.units).toEqual([]);
    }
    expect(listUnits(undefined, SMALL, ['--shard']).stderr).toMatch(/--shard needs a value i\/n/);
    expect(listUnits(undefined, SMALL, ['--frobnicate']).stderr).toMatch(/unknown argument "--frobnicate"/);
    expect(listUnits(undefined, { ...SMALL, NIGHTLY_SEEDS: 'two' }).stderr).toMatch(
      /NIGHTLY_SEEDS=two: expected a whole/,
    );
    expect(existsSync(SMALL.NIGHTLY_STORE)).toBe(false);
  });
});

describe('ci/nightly.sh, a shard for real', () => {
  it('writes outcome.json beside its summary, in the form the merge reads', () => {
    const store = join(root, 'real');
    const knobs = {
      ...SMALL,
      NIGHTLY_DRY_RUN: '0',
      NIGHTLY_STORE: store,
      NIGHTLY_WORKLOADS: 'sessions',
      NIGHTLY_PROTOCOLS: '2pc',
      NIGHTLY_NEMESES: 'none',
      NIGHTLY_SEEDS: '1',
      NIGHTLY_EXPOSURE: '0',
      NIGHTLY_SIM_SEEDS: '0',
      NIGHTLY_SIM_EFFICACY: '0',
      NIGHTLY_EFFICACY: '0',
      NIGHTLY_BENCH_DURATION: '0',
      NIGHTLY_MUTATION: '0',
    };
    // The one matrix run is shard 1's: shard 2 of 2 has nothing to run but its index.
    expect(listUnits('2/2', knobs, ['--list']).units).toEqual([]);
    const r = listUnits('2/2', knobs, []);
    expect(r.status, r.stderr).toBe(0);
    const { found, problems } = findOutcomes([store]);
    expect(problems).toEqual([]);
    expect(found.map((f) => f.outcome)).toMatchObject([
      { shard: { index: 2, count: 2 }, seedBase: 20261207000, exit: 0, total: 1, runs: [], invalid: [], broken: [] },
    ]);
    const night = mergeNight(found);
    expect(night.broken).toEqual([
      expect.stringMatching(/^shard 1\/2: no outcome.json of this night/),
      "run 1 of 1: in no shard's outcome",
    ]);
  });
});
