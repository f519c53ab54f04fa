// Proves the linearizability checker on the classic small cases: each invalid history is rejected naming the op that
// could not be placed and the longest linearizable prefix; each valid twin passes; info and fail ops mean "maybe" and
// "never"; keys are independent; a budget that runs out gives unknown, never a crash.
import { describe, expect, it } from 'vitest';
import type { HistoryOp } from '../../format/history.ts';
import type { ObservationOf } from '../../format/observations.ts';
import { linearizable } from '../linearizable.ts';
import { checkSafe } from '../result.ts';
import { invokeCreate, observations, okCreate, ops, run } from './fixtures.ts';

type Op = Parameters<typeof ops>[0];
const inv = (process: number, f: string, value: unknown = null, key?: string): Op => ({
  type: 'invoke',
  process,
  f,
  value,
  ...(key ? { key } : {}),
});
const ok = (process: number, f: string, value: unknown = null, key?: string): Op => ({
  type: 'ok',
  process,
  f,
  value,
  ...(key ? { key } : {}),
});
const info = (process: number, f: string, value: unknown = null): Op => ({ type: 'info', process, f, value });
const fail = (process: number, f: string, value: unknown = null): Op => ({ type: 'fail', process, f, value });

function verdict(history: HistoryOp[], opts = {}) {
  return run(linearizable, history, undefined, opts);
}

describe('linearizability: classic cases', () => {
  it('rejects a stale read, naming the read and the prefix before it', () => {
    const history = ops(
      inv(0, 'write', 1),
      ok(0, 'write', 1),
      inv(1, 'write', 2),
      ok(1, 'write', 2),
      inv(0, 'read'),
      ok(0, 'read', 1),
    );
    const r = verdict(history);
    expect(r.valid).toBe(false);
    const a = r.anomalies[0]!;
    expect(a).toMatchObject({ type: 'not-linearizable', key: 'register', ops: [4, 5] });
    expect(a.details).toMatchObject({ prefix: [0, 2], state: 2 });
    expect(a.explanation).toContain('read 1 (ops 4-5)');
    // The twin: the read overlaps the second write, so it may have come first.
    const twin = ops(
      inv(0, 'write', 1),
      ok(0, 'write', 1),
      inv(1, 'write', 2),
      inv(0, 'read'),
      ok(0, 'read', 1),
      ok(1, 'write', 2),
    );
    expect(verdict(twin).valid).toBe(true);
  });

  it('rejects a lost cas: two sequential cas from the same value both succeed', () => {
    const base = [inv(0, 'write', 0), ok(0, 'write', 0), inv(0, 'cas', [0, 1]), ok(0, 'cas', [0, 1])];
    const r = verdict(ops(...base, inv(1, 'cas', [0, 2]), ok(1, 'cas', [0, 2])));
    expect(r.valid).toBe(false);
    expect(r.anomalies[0]!.ops).toEqual([4, 5]);
    expect(verdict(ops(...base, inv(1, 'cas', [0, 2]), fail(1, 'cas', [0, 2]))).valid).toBe(true);
  });

  it('accepts concurrent writes read in either order, but not both orders', () => {
    const writes = [inv(0, 'write', 1), inv(1, 'write', 2), ok(0, 'write', 1), ok(1, 'write', 2)];
    expect(verdict(ops(...writes, inv(2, 'read'), ok(2, 'read', 1))).valid).toBe(true);
    expect(verdict(ops(...writes, inv(2, 'read'), ok(2, 'read', 2))).valid).toBe(true);
    // Both writes are done before either read, so no order explains 1 and then 2.
    const both = verdict(ops(...writes, inv(2, 'read'), ok(2, 'read', 1), inv(2, 'read'), ok(2, 'read', 2)));
    expect(both.valid).toBe(false);
    expect(both.anomalies[0]!.ops).toEqual([6, 7]);
  });

  it('lets an info write take effect any time after its invocation, but not before', () => {
    const written = [inv(0, 'write', 1), info(0, 'write', 1)];
    expect(verdict(ops(...written, inv(1, 'read'), ok(1, 'read', null), inv(1, 'read'), ok(1, 'read', 1))).valid).toBe(
      true,
    );
    expect(verdict(ops(...written, inv(1, 'read'), ok(1, 'read', 1), inv(1, 'read'), ok(1, 'read', null))).valid).toBe(
      false,
    );
    const before = ops(inv(1, 'read'), ok(1, 'read', 1), inv(0, 'write', 1), info(0, 'write', 1));
    expect(verdict(before).valid).toBe(false);
  });

  it('lets an info cas never happen, and treats a never-completed op like info', () => {
    const setup = [inv(0, 'write', 0), ok(0, 'write', 0), inv(0, 'cas', [0, 1]), info(0, 'cas', [0, 1])];
    expect(verdict(ops(...setup, inv(1, 'read'), ok(1, 'read', 0))).valid).toBe(true);
    expect(verdict(ops(...setup, inv(1, 'read'), ok(1, 'read', 1))).valid).toBe(true);
    expect(verdict(ops(inv(0, 'write', 5), inv(1, 'read'), ok(1, 'read', 5))).valid).toBe(true);
  });

  it('ignores failed ops: a failed write did not happen', () => {
    expect(verdict(ops(inv(0, 'write', 3), fail(0, 'write', 3), inv(1, 'read'), ok(1, 'read', 3))).valid).toBe(false);
    expect(verdict(ops(inv(0, 'write', 3), fail(0, 'write', 3), inv(1, 'read'), ok(1, 'read', null))).valid).toBe(true);
  });

  it('checks keys independently and reports only the bad one', () => {
    const history = ops(
      inv(0, 'write', 1, 'a'),
      ok(0, 'write', 1, 'a'),
      inv(1, 'write', 1, 'b'),
      ok(1, 'write', 1, 'b'),
      inv(0, 'read', null, 'a'),
      ok(0, 'read', 2, 'a'),
      inv(1, 'read', null, 'b'),
      ok(1, 'read', 1, 'b'),
    );
    const r = verdict(history);
    expect(r.anomalies.map((a) => [a.key, a.ops])).toEqual([['a', [4, 5]]]);
    expect(r.stats).toMatchObject({ keys: 2 });
  });

  it('answers unknown, not a crash, when the time or memory budget runs out', () => {
    // 24 concurrent writes and an impossible read: every subset is a distinct configuration to explore.
    const n = 24;
    const specs: Op[] = [];
    for (let p = 0; p < n; p++) specs.push(inv(p, 'write', p));
    for (let p = 0; p < n; p++) specs.push(ok(p, 'write', p));
    specs.push(inv(n, 'read'), ok(n, 'read', 'never written'));
    const history = ops(...specs);
    const timed = verdict(history, { timeLimitMs: 20 });
    expect(timed.valid).toBe('unknown');
    expect(timed.error).toContain('time limit');
    const memory = verdict(history, { memoryLimitBytes: 64 * 1024 });
    expect(memory.valid).toBe('unknown');
    expect(memory.error).toContain('memory limit');
  });
});

const dsmOp = (
  f: 'read' | 'cas',
  value: unknown,
  start: number,
  o: Partial<ObservationOf<'dsm-op'>> = {},
): ObservationOf<'dsm-op'> => ({
  kind: 'dsm-op',
  node: 'n1',
  key: 's1',
  f,
  value,
  outcome: 'ok',
  start,
  end: start + 10,
  ...o,
});

describe('linearizability: DSM calls and verdicts across keys', () => {
  // A read that begins after a cas 0 -> 1 ended, yet returns version 0: the DSM served a stale record. Its twin reads 1.
  it('rejects a stale DSM read, citing the read and the cas before it, and passes the fresh twin', () => {
    const stale = observations({ 'dsm-op': [dsmOp('cas', [0, 1], 10), dsmOp('read', 0, 30)] });
    const r = run(linearizable, [], stale);
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => [a.type, a.key])).toEqual([['not-linearizable', 'dsm:s1']]);
    expect(r.anomalies[0]!.explanation).toBe(
      'read 0 (n1 read 0 at 30 ns) cannot be linearized after the longest linearizable prefix ' +
        '(cas 0 -> 1 (n1 cas [0,1] at 10 ns)): the register holds 1',
    );
    const fresh = observations({ 'dsm-op': [dsmOp('cas', [0, 1], 10), dsmOp('read', 1, 30)] });
    expect(run(linearizable, [], fresh)).toMatchObject({ valid: true, stats: { keys: 1, ops: 2 } });
  });

  it('keeps a definite failure on one key false when another key ran out of budget', () => {
    // Key "a": a stale read. Key "b": 24 concurrent writes and an impossible read, over a 64 KiB memory budget.
    const specs: Op[] = [
      inv(0, 'write', 1, 'a'),
      ok(0, 'write', 1, 'a'),
      inv(0, 'read', null, 'a'),
      ok(0, 'read', 2, 'a'),
    ];
    const n = 24;
    for (let p = 1; p <= n; p++) specs.push(inv(p, 'write', p, 'b'));
    for (let p = 1; p <= n; p++) specs.push(ok(p, 'write', p, 'b'));
    specs.push(inv(n + 1, 'read', null, 'b'), ok(n + 1, 'read', 'never written', 'b'));
    const r = verdict(ops(...specs), { memoryLimitBytes: 64 * 1024 });
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => [a.type, a.key, a.ops])).toEqual([['not-linearizable', 'a', [2, 3]]]);
    expect(r.stats).toMatchObject({ keys: 2, unknownKeys: [{ key: 'b' }] });
  });

  it('judges nothing, and the composed verdict is unknown, when there are neither register ops nor DSM calls', () => {
    const r = run(linearizable, ops(invokeCreate(), okCreate()), observations({}));
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ keys: 0, ops: 0 });
    expect(checkSafe(linearizable).check([], observations({}), {}).valid).toBe('unknown');
  });
});

describe('linearizability: the verdict, its order, its evidence and its counts', () => {
  /** A write of 1 then a read of `value` on `key` by process p: a stale read unless value is 1. */
  const writeThenRead = (p: number, key: string, value: unknown): Op[] => [
    inv(p, 'write', 1, key),
    ok(p, 'write', 1, key),
    inv(p, 'read', null, key),
    ok(p, 'read', value, key),
  ];
  const session = (p: number, revision: number): Op[] => [
    inv(p, 'read-session', { sessionId: 's1' }),
    ok(p, 'read-session', { sessionId: 's1', revision }),
  ];

  it('reports every failing register in key order, across sources, with exact counts by source', () => {
    const history = ops(
      ...writeThenRead(0, 'c', 2), // 0-3
      ...writeThenRead(1, 'b', 1), // 4-7: fine
      ...writeThenRead(2, 'a', 2), // 8-11
      invokeCreate(3),
      { ...okCreate(3), value: { sessionId: 's1', txnId: 't1', outcome: 'committed', revision: 1 } }, // 12-13
      ...session(3, 2), // 14-15: no change ever made revision 2
    );
    const obs = observations({ 'dsm-op': [dsmOp('cas', [0, 1], 10), dsmOp('read', 0, 30)] });
    const r = run(linearizable, history, obs);
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => [a.type, a.key, a.ops])).toEqual([
      ['not-linearizable', 'a', [10, 11]],
      ['not-linearizable', 'c', [2, 3]],
      ['not-linearizable', 'dsm:s1', []],
      ['not-linearizable', 'session:s1', [14, 15]],
    ]);
    expect(r.stats).toEqual({
      keys: 5,
      ops: 9,
      bySource: { registers: { keys: 3, ops: 6 }, sessions: { keys: 1, ops: 1 }, dsm: { keys: 1, ops: 2 } },
      unknownKeys: [],
      cacheEntriesMax: 1,
      anomalies: { 'not-linearizable': 4 },
    });
    expect(checkSafe(linearizable).check(history, obs, {}).coverage).toEqual({ keys: 5, ops: 9 });
  });

  it('is valid with nothing unknown on a clean twin, the largest cache among keys reported', () => {
    // Key a: two concurrent writes and a read of the first (searched, 5 configurations). Key b: sequential (none).
    const history = ops(
      inv(0, 'write', 1, 'a'),
      inv(1, 'write', 2, 'a'),
      ok(0, 'write', 1, 'a'),
      ok(1, 'write', 2, 'a'),
      inv(0, 'read', null, 'a'),
      ok(0, 'read', 1, 'a'),
      ...writeThenRead(2, 'b', 1),
    );
    const r = run(linearizable, history);
    expect(r).toMatchObject({ valid: true, anomalies: [] });
    expect(r.error).toBeUndefined();
    expect(r.stats).toEqual({
      keys: 2,
      ops: 5,
      bySource: { registers: { keys: 2, ops: 5 }, sessions: { keys: 0, ops: 0 }, dsm: { keys: 0, ops: 0 } },
      unknownKeys: [],
      cacheEntriesMax: 5,
      anomalies: {},
    });
  });

  it('explains a read impossible from the start: from the initial state', () => {
    const r = verdict(ops(inv(0, 'read'), ok(0, 'read', 5)));
    expect(r.anomalies).toEqual([
      {
        type: 'not-linearizable',
        key: 'register',
        ops: [0, 1],
        explanation: 'read 5 (ops 0-1) cannot be linearized from the initial state: the register holds null',
        details: { prefix: [], state: null, blocked: [0, 1] },
      },
    ]);
  });

  it('shows the last 3 ops of a longer prefix and counts the rest, citing an op never completed by its index', () => {
    const writes = (n: number): Op[] =>
      Array.from({ length: n }, (_, i) => [inv(0, 'write', i), ok(0, 'write', i)]).flat();
    // Prefix of exactly 3: no "earlier ops".
    const three = verdict(ops(...writes(3), inv(0, 'read'), ok(0, 'read', 9)));
    expect(three.anomalies[0]!.explanation).toBe(
      'read 9 (ops 6-7) cannot be linearized after the longest linearizable prefix ' +
        '(write 0 (ops 0-1), write 1 (ops 2-3), write 2 (ops 4-5)): the register holds 2',
    );
    const five = verdict(ops(...writes(5), inv(0, 'read'), ok(0, 'read', 9)));
    expect(five.anomalies[0]!.explanation).toBe(
      'read 9 (ops 10-11) cannot be linearized after the longest linearizable prefix ' +
        '(2 earlier ops, then write 2 (ops 4-5), write 3 (ops 6-7), write 4 (ops 8-9)): the register holds 4',
    );
    expect(five.anomalies[0]!.details).toEqual({ prefix: [0, 2, 4, 6, 8], state: 4, blocked: [10, 11] });
    // A write never completed, then a read of another value: the write is cited as one op.
    const open = verdict(ops(inv(0, 'write', 1), inv(1, 'read'), ok(1, 'read', 2)));
    expect(open.anomalies[0]!.explanation).toBe(
      'read 2 (ops 1-2) cannot be linearized after the longest linearizable prefix (write 1 (op 0)): ' +
        'the register holds 1',
    );
  });

  it('cites DSM calls in the details of a DSM anomaly: the prefix and the blocked read', () => {
    const stale = observations({ 'dsm-op': [dsmOp('cas', [0, 1], 10), dsmOp('read', 0, 30, { node: 'n2' })] });
    expect(run(linearizable, [], stale).anomalies[0]!.details).toEqual({
      prefix: ['n1 cas [0,1] at 10 ns'],
      state: 1,
      blocked: 'n2 read 0 at 30 ns',
    });
  });

  it('leaves the keys after the time budget unknown without searching them, and says which key first', () => {
    // Key a: 16 concurrent writes and an impossible read, far over a 1 ms budget. Key b: a clean sequential key.
    const specs: Op[] = [];
    for (let p = 0; p < 16; p++) specs.push(inv(p, 'write', p, 'a'));
    for (let p = 0; p < 16; p++) specs.push(ok(p, 'write', p, 'a'));
    specs.push(inv(16, 'read', null, 'a'), ok(16, 'read', 'never', 'a'), ...writeThenRead(17, 'b', 1));
    const r = verdict(ops(...specs), { timeLimitMs: 1 });
    expect(r.valid).toBe('unknown');
    expect(r.anomalies).toEqual([]);
    expect(r.stats.unknownKeys).toEqual([
      { key: 'a', reason: expect.stringMatching(/^time limit reached after \d+ steps$/) },
      { key: 'b', reason: 'time limit reached before this key' },
    ]);
    expect(r.error).toMatch(/^2 key\(s\) not decided: a: time limit reached after \d+ steps$/);
  });

  it('with a budget spent before the first key, judges none of them: all unknown, no cache', () => {
    const r = verdict(ops(...writeThenRead(0, 'a', 2), ...writeThenRead(1, 'b', 1)), { timeLimitMs: -1 });
    expect(r).toMatchObject({
      valid: 'unknown',
      anomalies: [],
      error: '2 key(s) not decided: a: time limit reached before this key',
      stats: {
        keys: 2,
        ops: 4,
        cacheEntriesMax: 0,
        unknownKeys: [
          { key: 'a', reason: 'time limit reached before this key' },
          { key: 'b', reason: 'time limit reached before this key' },
        ],
      },
    });
  });

  it('decides a search of 3 MiB within the default budgets (10 s, 512 MiB)', () => {
    const specs: Op[] = [];
    for (let p = 0; p < 12; p++) specs.push(inv(p, 'write', p));
    for (let p = 0; p < 12; p++) specs.push(ok(p, 'write', p));
    specs.push(inv(12, 'read'), ok(12, 'read', 'never'));
    const r = verdict(ops(...specs));
    expect(r.valid).toBe(false);
    expect(r.stats).toMatchObject({ unknownKeys: [], cacheEntriesMax: 24576 });
  });

  it('reports two registers whose keys print alike (the number 1, the string "1") in the order they appear', () => {
    const stale = (p: number, key: string | number): Op[] =>
      writeThenRead(p, 'k', 2).map((op) => ({ ...op, key }) as Op);
    const r = verdict(ops(...stale(0, '1'), ...stale(1, 1)));
    expect(r.anomalies.map((a) => [a.key, a.ops])).toEqual([
      ['1', [2, 3]],
      ['1', [6, 7]],
    ]);
    const swapped = verdict(ops(...stale(0, 1), ...stale(1, '1')));
    expect(swapped.anomalies.map((a) => [a.key, a.ops])).toEqual([
      ['1', [2, 3]],
      ['1', [6, 7]],
    ]);
  });

  it('names itself and what it counts', () => {
    expect(linearizable.name).toBe('linearizable');
    expect(linearizable.coverage).toEqual(['keys', 'ops']);
  });
});
