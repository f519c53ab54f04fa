// The shrinking search on its own (pure logic): the runs are replaced by a rule saying which configurations fail,
// so the test shows which changes it keeps, which it tries, and that it stays within its run budget.
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../../format/config.ts';
import { shrink } from '../shrink.ts';

const original: RunConfig = {
  options: {
    workload: 'leader-churn',
    protocol: '2pc',
    nemesis: 'partition:leader-lagging',
    timeLimitS: 12,
    rate: 30,
    concurrency: 24,
    seed: 1,
    nodes: 3,
    env: 'auto',
    store: 'store',
    quietS: 8,
    leaseTtlMs: 1000,
    subscribers: 1000,
    cells: 100,
    bug: 'no-fencing',
    command: '',
  },
  seed: 1,
  schedule: [{ startMs: 3067, endMs: 7400, nemesis: 'partition', variant: 'leader-lagging' }],
  startedAt: '2026-01-01T00:00:00.000Z',
  versions: {},
};

/** Shrinks with a rule instead of runs; returns the result and every change it tried, in order. */
async function search(fails: (c: RunConfig) => boolean, runsMax: number) {
  const tried: string[] = [];
  let n = 0;
  const result = await shrink(original, {
    runs: 2,
    runsMax,
    checkers: ['single-leader'],
    signal: new AbortController().signal,
    log: (line) => tried.push(line.replace(/^(kept|dropped)\s+/, '').replace(/ \(failed.*$/, '')),
    attempt: async (c) => ({ runDir: `run-${++n}`, failed: fails(c) }),
  });
  return { result, tried };
}

describe('shrink', () => {
  it('keeps every change after which the run still fails, and tries a change that never failed only once', async () => {
    // Fails as long as the fault is there, at least 3 clients run and they send at least 8 requests a second.
    const { result, tried } = await search(
      (c) => c.schedule.length > 0 && c.options.concurrency >= 3 && c.options.rate >= 8,
      40,
    );
    expect(tried.filter((t) => t.startsWith('drop fault 1'))).toHaveLength(1);
    expect(result.smallest.schedule).toEqual([{ ...original.schedule[0], endMs: 3067 + 2000 }]);
    expect(result.smallest.options.concurrency).toBe(3);
    expect(result.smallest.options.timeLimitS).toBeLessThan(original.options.timeLimitS);
    expect(result.smallest.options.command).toContain('--concurrency 3');
    expect(result.smallest.options.rate).toBe(8);
    expect(result.smallest.options.command).toContain('--rate 8');
    expect(tried).toContain('rate 8 -> 4/s');
    expect(result.steps.every((s) => s.failures > 0)).toBe(true);
    expect(result.smallestRunDir).toBe(result.steps.at(-1)?.runDirs.at(-1));
  });

  it('spends no more runs than its budget', async () => {
    const { result } = await search(() => false, 5);
    expect(result.runsUsed).toBeLessThanOrEqual(5);
    expect(result.smallest).toBe(original);
    expect(result.steps).toEqual([]);
  });
});
