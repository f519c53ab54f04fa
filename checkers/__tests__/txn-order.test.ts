// Proves how one session's transactions are ordered without a clock: each txn's rank is the lowest version among
// the DSM writes naming it (unnamed writes rank nothing); a session is ordered by rank when every txn that must be
// placed has one (the rest go last, and are reported unplaced), else entirely by the fallback time; ties keep input
// order.
import { describe, expect, it } from 'vitest';
import { dsmRanks, runOrder } from '../txn-order.ts';
import { dsm, observations } from './fixtures.ts';

interface Step {
  id: string;
  time: number;
  must?: boolean;
}
const step = (id: string, time: number, must = true): Step => ({ id, time, must });
const idOf = (s: Step) => s.id;
const timeOf = (s: Step) => s.time;
const ids = (list: readonly Step[]) => list.map(idOf);

describe('txn-order: dsmRanks', () => {
  it('ranks each txn by the lowest version of its writes, whatever order they were recorded in', () => {
    const obs = observations({
      dsm: [
        dsm(6, 'COMMITTED', { txnId: 't2' }),
        dsm(4, 'PENDING', { txnId: 't2' }),
        dsm(5, 'PREPARED', { txnId: 't2' }),
        dsm(1, 'PENDING', { txnId: 't1' }),
        dsm(3, 'COMMITTED', { txnId: 't1' }),
      ],
    });
    expect([...dsmRanks(obs)]).toEqual([
      ['t2', 4],
      ['t1', 1],
    ]);
  });

  it('ranks nothing by a write that names no txn, and nothing at all without DSM writes', () => {
    const obs = observations({
      dsm: [
        dsm(1, 'PENDING', { txnId: undefined }),
        dsm(2, 'PENDING', { txnId: 't2' }),
        dsm(0, 'ABORTED', { txnId: undefined }),
      ],
    });
    expect([...dsmRanks(obs)]).toEqual([['t2', 2]]);
    expect(dsmRanks(observations({})).size).toBe(0);
  });
});

describe('txn-order: runOrder', () => {
  const ranks = new Map([
    ['a', 7],
    ['b', 2],
    ['c', 4],
  ]);

  it('orders by DSM rank when every txn has one, against the times', () => {
    const r = runOrder([step('a', 1), step('b', 2), step('c', 3)], idOf, ranks, timeOf);
    expect(ids(r.ordered)).toEqual(['b', 'c', 'a']);
    expect(r.byDsm).toBe(true);
    expect([...r.unplaced]).toEqual([]);
  });

  it('orders all by time when one txn that must be placed has no rank (every txn must, by default)', () => {
    const list = [step('a', 30), step('x', 10), step('b', 20)];
    const r = runOrder(list, idOf, ranks, timeOf);
    expect(ids(r.ordered)).toEqual(['x', 'b', 'a']);
    expect(r.byDsm).toBe(false);
    expect(r.unplaced.size).toBe(0);
  });

  it('places an unranked txn that need not be placed last, and reports it unplaced', () => {
    const list = [step('x', 1, false), step('a', 30), step('y', 2, false), step('b', 20)];
    const r = runOrder(list, idOf, ranks, timeOf, (s) => s.must !== false);
    expect(ids(r.ordered)).toEqual(['b', 'a', 'x', 'y']);
    expect(r.byDsm).toBe(true);
    expect([...r.unplaced].map(idOf)).toEqual(['x', 'y']);
  });

  it('falls back to time, placing everyone, when a txn that must be placed has no rank', () => {
    const list = [step('x', 5, false), step('a', 30), step('z', 1)];
    const r = runOrder(list, idOf, ranks, timeOf, (s) => s.must !== false);
    expect(ids(r.ordered)).toEqual(['z', 'x', 'a']);
    expect(r.byDsm).toBe(false);
    expect([...r.unplaced]).toEqual([]);
  });

  it('keeps input order among equal keys, for equal times and for several unplaced txns (a stable sort)', () => {
    // Many ties, so the sort cannot get them right by accident of a short insertion sort.
    const tied = Array.from({ length: 40 }, (_, i) => step(`t${i}`, i % 3));
    const byTime = runOrder(tied, idOf, new Map(), timeOf);
    expect(ids(byTime.ordered)).toEqual([
      ...tied.filter((s) => s.time === 0).map(idOf),
      ...tied.filter((s) => s.time === 1).map(idOf),
      ...tied.filter((s) => s.time === 2).map(idOf),
    ]);
    const unranked = Array.from({ length: 30 }, (_, i) => step(`u${i}`, 30 - i, false));
    const r = runOrder([...unranked, step('b', 0)], idOf, ranks, timeOf, (s) => s.must !== false);
    expect(ids(r.ordered)).toEqual(['b', ...unranked.map(idOf)]);
  });

  it('orders an empty session as empty, by the DSM', () => {
    const r = runOrder([], idOf, ranks, timeOf);
    expect(r).toEqual({ ordered: [], byDsm: true, unplaced: new Set() });
  });
});
