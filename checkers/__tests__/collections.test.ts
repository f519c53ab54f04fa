// Proves the collection helpers the checkers share: groupBy keeps every item of a key in order, indexBy keeps the last
// per key, and sortedBy is a stable sort by a numeric key that returns ordered input itself (no copy).
import { describe, expect, it } from 'vitest';
import { groupBy, indexBy, sortedBy } from '../collections.ts';

const item = (k: number, id: string) => ({ k, id });
const ids = (list: readonly { id: string }[]) => list.map((x) => x.id);

describe('collections', () => {
  it('groupBy keeps every item of a key, in order, and the keys in first-seen order', () => {
    const groups = groupBy([item(2, 'a'), item(1, 'b'), item(2, 'c'), item(2, 'd')], (x) => x.k);
    expect([...groups.keys()]).toEqual([2, 1]);
    expect(ids(groups.get(2)!)).toEqual(['a', 'c', 'd']);
    expect(ids(groups.get(1)!)).toEqual(['b']);
    expect(groupBy([], (x: number) => x).size).toBe(0);
  });

  it('indexBy keeps the last item per key', () => {
    const index = indexBy([item(1, 'a'), item(2, 'b'), item(1, 'c')], (x) => x.k);
    expect([...index.entries()].map(([k, x]) => [k, x.id])).toEqual([
      [1, 'c'],
      [2, 'b'],
    ]);
  });

  it('sortedBy returns input already in order (ties included) as it is, without a copy', () => {
    const ordered = [item(1, 'a'), item(1, 'b'), item(2, 'c'), item(5, 'd')];
    expect(sortedBy(ordered, (x) => x.k)).toBe(ordered);
    const empty: { k: number; id: string }[] = [];
    expect(sortedBy(empty, (x) => x.k)).toBe(empty);
    const one = [item(3, 'a')];
    expect(sortedBy(one, (x) => x.k)).toBe(one);
  });

  it('sortedBy sorts input out of order into a new list, stably, leaving the input alone', () => {
    // Out of order only at the front: the check must look past a later ordered pair.
    const input = [item(2, 'a'), item(1, 'b'), item(3, 'c')];
    const out = sortedBy(input, (x) => x.k);
    expect(ids(out)).toEqual(['b', 'a', 'c']);
    expect(out).not.toBe(input);
    expect(ids(input)).toEqual(['a', 'b', 'c']);
    // Out of order only at the end.
    expect(ids(sortedBy([item(1, 'a'), item(2, 'b'), item(3, 'c'), item(0, 'd')], (x) => x.k))).toEqual([
      'd',
      'a',
      'b',
      'c',
    ]);
    // Ties keep their input order, however many and wherever they are.
    const ties = [5, 3, 5, 1, 3, 5, 1, 0, 5, 3, 1, 5].map((k, i) => item(k, `${k}.${i}`));
    expect(ids(sortedBy(ties, (x) => x.k))).toEqual([
      '0.7',
      '1.3',
      '1.6',
      '1.10',
      '3.1',
      '3.4',
      '3.9',
      '5.0',
      '5.2',
      '5.5',
      '5.8',
      '5.11',
    ]);
  });

  it('sortedBy orders by the key, not by the items or their positions', () => {
    const input = [item(30, 'x'), item(-1, 'y'), item(2.5, 'z'), item(2, 'w')];
    expect(ids(sortedBy(input, (x) => x.k))).toEqual(['y', 'w', 'z', 'x']);
    expect(ids(sortedBy(input, (x) => -x.k))).toEqual(['x', 'z', 'w', 'y']);
  });
});
