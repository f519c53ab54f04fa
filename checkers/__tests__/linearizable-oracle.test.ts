// Proves the linearizability checker agrees with an independent brute-force oracle on small register histories (at
// most 8 client ops): the oracle pairs the ops itself and tries every order consistent with real-time precedence,
// with each write or cas of unknown outcome either placed somewhere after its invocation or left out. The histories
// are of three kinds, so both verdicts are exercised: correct registers (linearizable by construction), the same with
// one read corrupted, and ops with random outcomes (mostly not linearizable). Over two keys, the checker must name
// exactly the keys the oracle refuses, each judged alone. The seed is fixed and reported.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HistoryOp } from '../../format/history.ts';
import { emptyObservations } from '../../format/observations.ts';
import { linearizable } from '../linearizable.ts';
import { simulateRegister } from '../testing/register.ts';

const ORACLE_SEED = 20261207;
const ORACLE_RUNS = 600;
const OPS_MAX = 8;

interface Candidate {
  f: string;
  value: unknown;
  /** The read's result; undefined for writes and cas. */
  read: unknown;
  call: number;
  /** Position of the ok completion; Infinity when the outcome is unknown. */
  ret: number;
}

/** Invocations paired with completions by process, by hand: no code shared with the checker. */
function candidates(history: readonly HistoryOp[]): Candidate[] {
  const open = new Map<unknown, HistoryOp>();
  const done = new Map<HistoryOp, HistoryOp>();
  for (const op of history) {
    if (op.type === 'invoke') open.set(op.process, op);
    else {
      done.set(open.get(op.process)!, op);
      open.delete(op.process);
    }
  }
  const out: Candidate[] = [];
  for (const op of history) {
    if (op.type !== 'invoke') continue;
    const end = done.get(op);
    if (end?.type === 'fail') continue; // never happened
    if (end?.type === 'ok') out.push({ f: op.f, value: op.value, read: end.value, call: op.index, ret: end.index });
    else if (op.f !== 'read') out.push({ f: op.f, value: op.value, read: undefined, call: op.index, ret: Infinity });
  }
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** True when some order of the ops explains every observed result, trying them all. */
function oracle(history: readonly HistoryOp[]): boolean {
  const ops = candidates(history);
  const placed = ops.map(() => false);
  const explain = (state: unknown, left: number): boolean => {
    // Done once every op with a known outcome is placed: the unknown ones left simply never happened.
    if (ops.every((op, i) => placed[i] || op.ret === Infinity)) return true;
    if (left === 0) return false;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      // An op may go next only if every unplaced op that finished before it was invoked is placed already.
      if (placed[i] || ops.some((o, j) => !placed[j] && o.ret < op.call)) continue;
      let next: unknown;
      if (op.f === 'read') {
        if (!same(state, op.read)) continue;
        next = state;
      } else if (op.f === 'write') next = op.value;
      else {
        const [from, to] = op.value as [unknown, unknown];
        if (!same(state, from)) continue;
        next = to;
      }
      placed[i] = true;
      const ok = explain(next, left - 1);
      placed[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return explain(null, ops.length);
}

/** Keeps the history up to its (OPS_MAX + 1)th invocation: a prefix of a run is a run. */
function firstOps(history: readonly HistoryOp[]): HistoryOp[] {
  let invocations = 0;
  const cut = history.findIndex((op) => op.type === 'invoke' && ++invocations > OPS_MAX);
  return cut < 0 ? [...history] : history.slice(0, cut);
}

const correct = fc
  .record({ choices: fc.array(fc.nat(), { maxLength: 30 }), processes: fc.integer({ min: 1, max: 3 }) })
  .map(({ choices, processes }) => firstOps(simulateRegister(choices, { processes, keys: 1, values: 3 })));

const corrupted = fc.tuple(correct, fc.nat(), fc.integer({ min: 0, max: 3 })).map(([history, pick, value]) => {
  const reads = history.filter((op) => op.type === 'ok' && op.f === 'read');
  if (reads.length === 0) return history;
  const target = reads[pick % reads.length]!;
  return history.map((op) => (op === target ? { ...op, value: value === 3 ? null : value } : op));
});

const small = fc.integer({ min: 0, max: 2 });
const step = fc.record({
  process: fc.integer({ min: 0, max: 2 }),
  f: fc.constantFrom('read', 'write', 'cas'),
  a: small,
  b: small,
  outcome: fc.constantFrom('ok', 'ok', 'ok', 'fail', 'info'),
  read: fc.option(small, { nil: null }),
});

/** Any ops with any outcomes: each step invokes an op on an idle process or completes the open one. */
const random = fc.array(step, { maxLength: 2 * OPS_MAX + 4 }).map((steps) => {
  const out: HistoryOp[] = [];
  const open = new Map<number, HistoryOp>();
  let invocations = 0;
  for (const s of steps) {
    const at = { index: out.length, time: out.length * 10, process: s.process };
    const inv = open.get(s.process);
    if (inv) {
      const value = s.outcome === 'ok' && inv.f === 'read' ? s.read : inv.value;
      out.push({ ...at, type: s.outcome as 'ok' | 'fail' | 'info', f: inv.f, value });
      open.delete(s.process);
    } else if (invocations < OPS_MAX) {
      const value = s.f === 'read' ? null : s.f === 'write' ? s.a : [s.a, s.b];
      const op: HistoryOp = { ...at, type: 'invoke', f: s.f, value };
      out.push(op);
      open.set(s.process, op);
      invocations++;
    }
  }
  return out;
});

/** Like `random`, over two keys: each op names its key on its invocation and its completion. */
const twoKeys = fc
  .array(fc.record({ s: step, key: fc.constantFrom('x', 'y') }), { maxLength: 2 * OPS_MAX + 4 })
  .map((steps) => {
    const out: HistoryOp[] = [];
    const open = new Map<number, HistoryOp>();
    let invocations = 0;
    for (const { s, key } of steps) {
      const at = { index: out.length, time: out.length * 10, process: s.process };
      const inv = open.get(s.process);
      if (inv) {
        const value = s.outcome === 'ok' && inv.f === 'read' ? s.read : inv.value;
        out.push({ ...at, type: s.outcome as 'ok' | 'fail' | 'info', f: inv.f, value, key: inv.key! });
        open.delete(s.process);
      } else if (invocations < OPS_MAX) {
        const value = s.f === 'read' ? null : s.f === 'write' ? s.a : [s.a, s.b];
        const op: HistoryOp = { ...at, type: 'invoke', f: s.f, value, key };
        out.push(op);
        open.set(s.process, op);
        invocations++;
      }
    }
    return out;
  });

describe('linearizability against a brute-force oracle', () => {
  it(`agrees on small histories, valid and invalid (seed ${ORACLE_SEED}, ${ORACLE_RUNS} runs)`, () => {
    const verdicts = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(fc.oneof(correct, corrupted, random), (history) => {
        const expected = oracle(history);
        const r = linearizable.check(history, emptyObservations(), { timeLimitMs: 5_000 });
        expect(r.valid).toBe(expected);
        verdicts[expected ? 'valid' : 'invalid']++;
      }),
      { seed: ORACLE_SEED, numRuns: ORACLE_RUNS },
    );
    // Both verdicts must be exercised in earnest, or agreement proves little.
    expect(verdicts.valid).toBeGreaterThan(ORACLE_RUNS / 5);
    expect(verdicts.invalid).toBeGreaterThan(ORACLE_RUNS / 5);
    console.info(
      `oracle: seed ${ORACLE_SEED}, ${ORACLE_RUNS} runs, ${verdicts.valid} valid, ${verdicts.invalid} invalid`,
    );
  });

  it(`names exactly the keys the oracle refuses, on histories over two keys (seed ${ORACLE_SEED}, 200 runs)`, () => {
    let refused = 0;
    fc.assert(
      fc.property(twoKeys, (history) => {
        // The oracle judges each key's ops alone (an op and its completion carry the same key).
        const bad = ['x', 'y'].filter((key) => !oracle(history.filter((op) => op.key === key)));
        const r = linearizable.check(history, emptyObservations(), { timeLimitMs: 5_000 });
        expect(r.anomalies.map((a) => [a.type, a.key])).toEqual(bad.map((key) => ['not-linearizable', key]));
        expect(r.valid).toBe(bad.length === 0);
        refused += bad.length;
      }),
      { seed: ORACLE_SEED, numRuns: 200 },
    );
    expect(refused).toBeGreaterThan(40);
  });

  it('the oracle itself: a stale read is refused, overlapping ops may go either way, an info write may be left out', () => {
    const h = (...specs: [HistoryOp['type'], number, string, unknown][]) =>
      specs.map(([type, process, f, value], index) => ({ index, time: index, type, process, f, value }) as HistoryOp);
    const staleRead = h(
      ['invoke', 0, 'write', 1],
      ['ok', 0, 'write', 1],
      ['invoke', 1, 'read', null],
      ['ok', 1, 'read', null],
    );
    expect(oracle(staleRead)).toBe(false);
    const overlapping = h(
      ['invoke', 0, 'write', 1],
      ['invoke', 1, 'read', null],
      ['ok', 1, 'read', null],
      ['ok', 0, 'write', 1],
    );
    expect(oracle(overlapping)).toBe(true);
    const maybe = h(
      ['invoke', 0, 'write', 1],
      ['info', 0, 'write', 1],
      ['invoke', 1, 'read', null],
      ['ok', 1, 'read', null],
    );
    expect(oracle(maybe)).toBe(true);
    const before = h(
      ['invoke', 1, 'read', null],
      ['ok', 1, 'read', 1],
      ['invoke', 0, 'write', 1],
      ['info', 0, 'write', 1],
    );
    expect(oracle(before)).toBe(false);
  });
});
