// Proves the linearizability search itself (checkers/linearizability/search.ts) on op lists: the order it finds, the
// longest prefix and blocked op it reports, when real time alone decides (a replay, no cache), ops that touch at an
// instant counting as concurrent, the cache deduplicating configurations (with the model's equality or `===`), and
// the time and memory budgets on each side of their edges: checked every 4096 steps, memory counted in bytes per
// cached configuration (120 plus 4 per word of its window), the reason naming what ran out.
import { describe, expect, it } from 'vitest';
import { casRegister, type LinOp, type Model, type RegisterInput, search } from '../linearizable.ts';

type Op = LinOp<RegisterInput, unknown>;
const INF = Number.POSITIVE_INFINITY;
const write = (value: unknown, call: number, ret: number): Op => ({
  input: { f: 'write', value },
  output: undefined,
  call,
  ret,
});
const read = (value: unknown, call: number, ret: number): Op => ({
  input: { f: 'read', value: null },
  output: value,
  call,
  ret,
});
const cas = (from: unknown, to: unknown, call: number, ret: number): Op => ({
  input: { f: 'cas', value: [from, to] },
  output: undefined,
  call,
  ret,
});

/** No budget in the way. */
const ample = () => ({ deadlineMs: performance.now() + 60_000, memoryBytes: 2 ** 40 });
/** A deadline already past: the search stops at its first budget check. */
const spent = () => ({ deadlineMs: performance.now() - 1, memoryBytes: 2 ** 40 });

/** n writes all in flight together (write i of value i), then a read of a value none wrote: every subset is tried. */
function impossible(n: number): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) ops.push(write(i, i, n + i));
  ops.push(read('never written', 2 * n, 2 * n + 1));
  return ops;
}

describe('the search: verdicts and what they carry', () => {
  it('replays ops that never overlap in their one order, with no cache', () => {
    const ops = [write(1, 0, 1), read(1, 2, 3), cas(1, 2, 4, 5), read(2, 6, 7)];
    expect(search(casRegister, ops, spent())).toEqual({ kind: 'linearizable', order: [0, 1, 2, 3], cacheEntries: 0 });
    // A last op of unknown outcome that cannot apply never happened: still decided by the replay.
    const unknownLast = [write(1, 0, 1), cas(5, 6, 2, INF)];
    expect(search(casRegister, unknownLast, ample())).toEqual({ kind: 'linearizable', order: [0], cacheEntries: 0 });
    const unknownApplies = [write(1, 0, 1), cas(1, 6, 2, INF)];
    expect(search(casRegister, unknownApplies, ample())).toEqual({
      kind: 'linearizable',
      order: [0, 1],
      cacheEntries: 0,
    });
    expect(search(casRegister, [], ample())).toEqual({ kind: 'linearizable', order: [], cacheEntries: 0 });
  });

  it('rejects a stale read in a sequential history, naming the prefix, the read and the state', () => {
    const ops = [write(1, 0, 1), write(2, 2, 3), read(1, 4, 5)];
    expect(search(casRegister, ops, ample())).toEqual({
      kind: 'not-linearizable',
      prefix: [0, 1],
      blocked: 2,
      state: 2,
      cacheEntries: 2,
    });
    expect(search(casRegister, [read(1, 0, 1)], ample())).toEqual({
      kind: 'not-linearizable',
      prefix: [],
      blocked: 0,
      state: null,
      cacheEntries: 0,
    });
  });

  it('finds the order that explains a read of the first of two concurrent writes', () => {
    const ops = [write(1, 0, 2), write(2, 1, 3), read(1, 4, 5)];
    expect(search(casRegister, ops, ample())).toEqual({ kind: 'linearizable', order: [1, 0, 2], cacheEntries: 5 });
  });

  it('reports the first longest prefix it found, not a later one as long', () => {
    // Both orders of the writes are tried; the first (1 then 2, holding 2) is the one reported.
    const ops = [write(1, 0, 2), write(2, 1, 3), read(3, 4, 5)];
    expect(search(casRegister, ops, ample())).toEqual({
      kind: 'not-linearizable',
      prefix: [0, 1],
      blocked: 2,
      state: 2,
      cacheEntries: 4,
    });
  });

  it('takes ops touching at an instant as concurrent (calls sort before returns), and searches them', () => {
    // The cas returns at 20 and the read is called at 20: the read may go first, so reading 0 is fine.
    const touching = [cas(0, 1, 10, 20), read(0, 20, 30)];
    const model = { ...casRegister, init: () => 0 };
    expect(search(model, touching, ample())).toEqual({ kind: 'linearizable', order: [1, 0], cacheEntries: 3 });
    // Its twin called just after: the cas came first.
    const after = [cas(0, 1, 10, 20), read(0, 21, 30)];
    expect(search(model, after, ample())).toMatchObject({ kind: 'not-linearizable', prefix: [0], blocked: 1 });
    // Touching and linearizable in real-time order: still searched (a cache), not replayed.
    const inOrder = [cas(0, 1, 10, 20), read(1, 20, 30)];
    expect(search(model, inOrder, ample())).toEqual({ kind: 'linearizable', order: [0, 1], cacheEntries: 2 });
  });

  it('leaves out ops of unknown outcome that cannot apply, once only they are left', () => {
    // Overlapping, so searched: the cas of unknown outcome never applies (the register never holds 9).
    const ops = [write(1, 0, 3), cas(9, 5, 1, INF), read(1, 2, 4)];
    expect(search(casRegister, ops, ample())).toEqual({ kind: 'linearizable', order: [0, 2], cacheEntries: 2 });
    // ... but one that did apply is placed where it explains a read.
    const applied = [write(1, 0, 3), cas(1, 5, 1, INF), read(5, 2, 4)];
    expect(search(casRegister, applied, ample())).toEqual({
      kind: 'linearizable',
      order: [0, 1, 2],
      cacheEntries: 3,
    });
  });
});

describe('the search cache', () => {
  /** A counter with no `equal`: the cache compares states with `===`. */
  type CounterIn = { f: 'add' } | { f: 'read' };
  const counter: Model<number, CounterIn, number> = {
    init: () => 0,
    step: (s, i, o) => (i.f === 'add' ? { ok: true, state: s + 1 } : o === s ? { ok: true, state: s } : { ok: false }),
    describe: (i) => i.f,
  };
  const add = (call: number, ret: number): LinOp<CounterIn, number> => ({
    input: { f: 'add' },
    output: undefined,
    call,
    ret,
  });

  it('explores each set of ops and state once: 3 concurrent adds give 7 configurations, not 15 orders', () => {
    const ops = [add(0, 3), add(1, 4), add(2, 5), { input: { f: 'read' as const }, output: 4, call: 6, ret: 7 }];
    expect(search(counter, ops, ample())).toEqual({
      kind: 'not-linearizable',
      prefix: [0, 1, 2],
      blocked: 3,
      state: 3,
      cacheEntries: 7,
    });
  });

  it('never takes a set of ops for another whose hash it shares: a collision prunes nothing', () => {
    // The search hashes a set of ops by xoring a key per op (murmur3's finalizer, copied here to show the collision):
    // {74, 140} and {12, 298} hash alike. Reads of 0 go first, one after another; then adds 74 and 140 are called,
    // then adds 12 and 298, which return before a read of 2 (op 299) is called; 74 and 140 return after it. Op 0, a
    // read of 4, comes last, so the set's lowest word is never full. The only explanation adds 12 and 298, then reads
    // 2: that configuration must not be pruned as the {74, 140} one (same hash, same state 2) already explored.
    const zobrist = (x: number) => {
      let h = (x + 0x9e3779b9) | 0;
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      return (h ^ (h >>> 16)) >>> 0;
    };
    expect(zobrist(74) ^ zobrist(140)).toBe(zobrist(12) ^ zobrist(298));
    const late = [74, 140];
    const early = [12, 298];
    const T = 1000;
    const ops: LinOp<CounterIn, number>[] = [{ input: { f: 'read' }, output: 4, call: T + 20, ret: T + 21 }];
    let rank = 0;
    for (let id = 1; id <= 298; id++) {
      if (late.includes(id)) ops.push(add(T + late.indexOf(id), T + 8 + late.indexOf(id)));
      else if (early.includes(id)) ops.push(add(T + 2 + early.indexOf(id), T + 4 + early.indexOf(id)));
      else ops.push({ input: { f: 'read' }, output: 0, call: 2 * rank, ret: 2 * rank++ + 1 });
    }
    ops.push({ input: { f: 'read' }, output: 2, call: T + 6, ret: T + 7 });
    const r = search(counter, ops, ample());
    expect(r).toMatchObject({ kind: 'linearizable', cacheEntries: 312 });
    if (r.kind === 'linearizable') expect(r.order.slice(-6)).toEqual([12, 298, 299, 74, 140, 0]);
  });

  it('tells a set from a larger one of the same hash by the words above its window', () => {
    // Adds 165, 247, 406 and 425 xor to zero: a set and the same set with those four ops hash alike. Reads of 0 with
    // ids 1-159 (words 0-4) go first, one after another; then the four, reads of 0 too, in flight together; then the
    // other reads from 160 up, then op 0. The configuration after the four is new: the one before them, cached with a
    // window of words 0-4 only, must not match it because those words agree.
    const zobrist = (x: number) => {
      let h = (x + 0x9e3779b9) | 0;
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      return (h ^ (h >>> 16)) >>> 0;
    };
    const zero = [165, 247, 406, 425];
    expect(zero.reduce((h, id) => (h ^ zobrist(id)) >>> 0, 0)).toBe(0);
    const readZero = (call: number, ret: number): LinOp<CounterIn, number> => ({
      input: { f: 'read' },
      output: 0,
      call,
      ret,
    });
    const ops: LinOp<CounterIn, number>[] = [readZero(5000, 5001)];
    for (let id = 1; id <= 425; id++) {
      if (zero.includes(id)) ops.push(readZero(1000, 1010 + zero.indexOf(id)));
      else if (id < 160) ops.push(readZero(2 * id, 2 * id + 1));
      else ops.push(readZero(2000 + 2 * id, 2001 + 2 * id));
    }
    const r = search(counter, ops, ample());
    expect(r).toMatchObject({ kind: 'linearizable', cacheEntries: 426 });
  });

  it('compares states with === when the model has no equality: one set of ops may hold different states', () => {
    // The register without its JSON equality: {write 1, write 2} holds 2 after one order and 1 after the other, and
    // only the second explains the read of 1.
    const plain = { ...casRegister, equal: undefined };
    const ops = [write(1, 0, 2), write(2, 1, 3), read(1, 4, 5)];
    expect(search(plain, ops, ample())).toEqual({ kind: 'linearizable', order: [1, 0, 2], cacheEntries: 5 });
  });

  it('compares register states as JSON values: arrays written in either order meet again', () => {
    // Two writes of equal arrays: after both, the state is [1] whichever went last.
    const ops = [write([1], 0, 2), write([1], 1, 3), read('never', 4, 5)];
    expect(search(casRegister, ops, ample())).toMatchObject({ kind: 'not-linearizable', cacheEntries: 3 });
  });

  it('counts every configuration of 12 concurrent writes (12 x 2^11) with ample budget', () => {
    expect(search(casRegister, impossible(12), ample())).toEqual({
      kind: 'not-linearizable',
      prefix: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
      blocked: 12,
      state: 11,
      cacheEntries: 24576,
    });
  });
});

describe('the search budgets, on each side of their edges', () => {
  it('stops on time only at a budget check, every 4096 steps, and says so', () => {
    expect(search(casRegister, impossible(12), spent())).toEqual({
      kind: 'unknown',
      reason: 'time limit reached after 4096 steps',
      cacheEntries: 941,
    });
    // Fewer than 4096 steps: decided though the deadline has passed.
    expect(search(casRegister, impossible(3), spent())).toMatchObject({ kind: 'not-linearizable', cacheEntries: 12 });
  });

  it('stops on memory once the cached configurations take more bytes than allowed, not as many', () => {
    // 12 ops, one word each: 941 configurations at step 4096 take 941 x 124 = 116,684 bytes.
    const twelve = impossible(12);
    const at = (memoryBytes: number) => search(casRegister, twelve, { ...ample(), memoryBytes });
    expect(at(116_683)).toEqual({
      kind: 'unknown',
      reason: 'memory limit reached (0 MiB of cached configurations)',
      cacheEntries: 941,
    });
    expect(at(116_684)).toEqual({
      kind: 'unknown',
      reason: 'memory limit reached (0 MiB of cached configurations)',
      cacheEntries: 1757,
    });
    expect(at(0)).toMatchObject({ kind: 'unknown', cacheEntries: 941 });
  });

  it('counts only the window of words not all ones in a long history (70 ops, three words)', () => {
    // 991 configurations at step 4096 take 125,300 bytes: their windows are one or two words, not always three.
    const seventy = impossible(70);
    const at = (memoryBytes: number) => search(casRegister, seventy, { ...ample(), memoryBytes });
    expect(at(125_299)).toMatchObject({ kind: 'unknown', cacheEntries: 991 });
    expect(at(125_300)).toMatchObject({ kind: 'unknown', cacheEntries: 1806 });
    // 40 ops, two words: 966 configurations, 119,780 bytes.
    const forty = impossible(40);
    const at40 = (memoryBytes: number) => search(casRegister, forty, { ...ample(), memoryBytes });
    expect(at40(119_779)).toMatchObject({ kind: 'unknown', cacheEntries: 966 });
    expect(at40(119_780)).toMatchObject({ kind: 'unknown', cacheEntries: 1780 });
  });

  it('names the memory used, rounded to MiB', () => {
    // 16,285 configurations of 124 bytes: 2,019,340 bytes, 1.93 MiB, over a 2,000,000-byte budget.
    expect(search(casRegister, impossible(14), { ...ample(), memoryBytes: 2_000_000 })).toEqual({
      kind: 'unknown',
      reason: 'memory limit reached (2 MiB of cached configurations)',
      cacheEntries: 16285,
    });
  });
});
