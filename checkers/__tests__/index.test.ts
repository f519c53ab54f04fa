// Proves the checker registry: every checker by its name in a fixed order, the aliases the CLI accepts, the default
// set (faults only with a schedule), the bare-history set (no faults, no scheduler), and that linearizable applies
// only to a history with ops it can judge unless it was named on the command line.
import { describe, expect, it } from 'vitest';
import {
  appliedCheckerNames,
  bareHistoryCheckerNames,
  checkerByName,
  checkerNames,
  checkers,
  defaultCheckerNames,
} from '../index.ts';
import { invokeCreate, okCreate, ops } from './fixtures.ts';

const all = [
  'atomicity',
  'requests',
  'conservation',
  'single-leader',
  'stream-ordering',
  'liveness',
  'linearizable',
  'scheduler',
  'stats',
  'faults',
];

describe('checker registry', () => {
  it('names every checker, in the order verdicts are shown', () => {
    expect(checkerNames).toEqual(all);
    expect(checkers.map((c) => c.name)).toEqual(all);
  });

  it('finds a checker by its name or an alias, and nothing by another name', () => {
    for (const name of all) expect(checkerByName(name)?.name).toBe(name);
    expect(checkerByName('linearizability')?.name).toBe('linearizable');
    expect(checkerByName('leader')?.name).toBe('single-leader');
    expect(checkerByName('ordering')?.name).toBe('stream-ordering');
    expect(checkerByName('nope')).toBeUndefined();
    expect(checkerByName('')).toBeUndefined();
  });

  it('runs faults by default only where faults were scheduled; a bare history gets neither faults nor scheduler', () => {
    expect(defaultCheckerNames(true)).toEqual(all);
    expect(defaultCheckerNames(false)).toEqual(all.filter((n) => n !== 'faults'));
    expect(bareHistoryCheckerNames).toEqual(all.filter((n) => n !== 'faults' && n !== 'scheduler'));
  });

  it('applies linearizable (by name or alias) only to a history with ops it judges; the others always', () => {
    const createsOnly = ops(invokeCreate(0), okCreate(0));
    const withReads = ops(
      invokeCreate(0),
      okCreate(0),
      { type: 'invoke', process: 0, f: 'read-session', value: { sessionId: 's1' } },
      { type: 'ok', process: 0, f: 'read-session', value: { sessionId: 's1', revision: 1 } },
    );
    const names = ['stats', 'linearizable', 'linearizability', 'leader', 'nope'];
    expect(appliedCheckerNames(names, createsOnly)).toEqual(['stats', 'leader', 'nope']);
    expect(appliedCheckerNames(names, withReads)).toEqual(names);
    expect(appliedCheckerNames([], withReads)).toEqual([]);
  });
});
