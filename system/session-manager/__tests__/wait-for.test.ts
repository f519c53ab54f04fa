// The global wait-for graph's pure parts: cycles across participants are found once each, whichever txn they are
// reached from; the youngest txn is the victim; a cycle is gone as soon as one of its edges is.
import { describe, expect, it } from 'vitest';
import {
  cycleKey,
  cyclePresent,
  findCycles,
  formedAtMs,
  longestWaiter,
  type WaitForEdge,
  youngest,
} from '../wait-for.ts';

const edge = (participant: string, txnId: string, waitsFor: string, waitedMs = 0): WaitForEdge => ({
  participant,
  txnId,
  waitsFor,
  resource: null,
  waitedMs,
});

describe('wait-for graph', () => {
  it('finds a cycle that spans participants, once', () => {
    const edges = [edge('rm', 't2', 't1'), edge('billing', 't1', 't2'), edge('rm', 't3', 't1')];
    const cycles = findCycles(edges, 10);
    expect(cycles.map(cycleKey)).toEqual(['t1 t2']);
    expect(cyclePresent(cycles[0]!, edges)).toBe(true);
    expect(cyclePresent(cycles[0]!, edges.slice(1))).toBe(false);
  });

  it('finds several cycles, and none in a chain', () => {
    const edges = [
      edge('rm', 'a', 'b'),
      edge('rm', 'b', 'c'),
      edge('billing', 'c', 'a'),
      edge('rm', 'x', 'y'),
      edge('billing', 'y', 'x'),
      edge('rm', 'p', 'q'),
      edge('rm', 'q', 'pid:77'),
    ];
    expect(findCycles(edges, 10).map(cycleKey).sort()).toEqual(['a b c', 'x y']);
    expect(findCycles(edges, 1)).toHaveLength(1);
    expect(findCycles(edges.slice(5), 10)).toEqual([]);
  });

  it('picks the youngest known txn as the victim, and the longest waiter for a timeout', () => {
    const started = new Map([
      ['t1', 100],
      ['t2', 300],
      ['t3', 200],
    ]);
    expect(youngest(['t1', 't2', 't3', 'pid:9'], started)).toBe('t2');
    expect(youngest(['pid:9'], started)).toBeUndefined();
    const edges = [edge('rm', 't2', 't1', 40), edge('billing', 't1', 't2', 900)];
    expect(longestWaiter(['t1', 't2'], edges)).toBe('t1');
    // The cycle closed when its most recent wait began.
    expect(formedAtMs(['t1', 't2'], edges, 10_000)).toBe(9960);
  });
});
