// Proves how histories become registers (checkers/linearizability/partition.ts), op by op and field by field: what is
// judged and what is dropped (failed ops, reads of unknown outcome, nemesis ops, ops on sessions never seen created),
// the op each becomes (its input, its output, its call and return, the history ops it cites), the key and the initial
// value of each register, and the words that cite an op in an explanation.
import { describe, expect, it } from 'vitest';
import type { HistoryOp } from '../../format/history.ts';
import type { ObservationOf } from '../../format/observations.ts';
import { cite, dsmPartitions } from '../linearizability/partition.ts';
import { hasRegisterOps, historyPartitions, registerPartitions, sessionPartitions } from '../linearizable.ts';
import { observations, ops } from './fixtures.ts';

type Op = Parameters<typeof ops>[0];
const at = (type: Op['type'], process: number | string, f: string, value: unknown = null, key?: string): Op => ({
  type,
  process,
  f,
  value,
  ...(key === undefined ? {} : { key }),
});
const INF = Number.POSITIVE_INFINITY;

describe('hasRegisterOps: whether the linearizable checker has anything to judge', () => {
  it('is true for an invoked register op or an op on a session, among other ops', () => {
    const create = at('invoke', 0, 'create-session', {});
    expect(hasRegisterOps(ops(create, at('invoke', 1, 'read')))).toBe(true);
    expect(hasRegisterOps(ops(create, at('invoke', 1, 'write', 1)))).toBe(true);
    expect(hasRegisterOps(ops(create, at('invoke', 1, 'cas', [1, 2])))).toBe(true);
    for (const f of ['read-session', 'modify-session', 'release-session']) {
      expect(hasRegisterOps(ops(create, at('invoke', 1, f, { sessionId: 's1' })))).toBe(true);
    }
  });

  it('is false for no ops, only creations, only completions, or the nemesis', () => {
    expect(hasRegisterOps([])).toBe(false);
    expect(hasRegisterOps(ops(at('invoke', 0, 'create-session', {}), at('ok', 0, 'create-session', {})))).toBe(false);
    expect(hasRegisterOps(ops(at('ok', 0, 'read', 1)))).toBe(false);
    expect(hasRegisterOps(ops(at('invoke', 'nemesis', 'read'), at('invoke', 'nemesis', 'read-session')))).toBe(false);
  });
});

describe('historyPartitions: plain register ops', () => {
  it('turns each op into its input, output, call, return and cited ops, dropping what never happened', () => {
    const history = ops(
      at('invoke', 0, 'write', 1), // 0
      at('ok', 0, 'write', 1), // 1
      at('invoke', 1, 'read'), // 2
      at('ok', 1, 'read', 1), // 3
      at('invoke', 0, 'cas', [1, 2]), // 4
      at('info', 0, 'cas', [1, 2]), // 5: unknown outcome, kept with its return at +infinity
      at('invoke', 1, 'read'), // 6
      at('info', 1, 'read'), // 7: a read of unknown outcome changes nothing: dropped
      at('invoke', 2, 'write', 5), // 8
      at('fail', 2, 'write', 5), // 9: never happened: dropped
      at('invoke', 'nemesis', 'write', 9), // 10: not a client's
      at('invoke', 3, 'cas', [2, 3]), // 11: never completed, like info
      at('invoke', 4, 'read'), // 12: never completed read: dropped
      at('invoke', 5, 'create-session', {}), // 13: not a register op
    );
    expect(historyPartitions(history)).toEqual([
      {
        key: 'register',
        initial: null,
        ops: [
          { input: { f: 'write', value: 1 }, output: undefined, call: 0, ret: 1, ops: [0, 1] },
          { input: { f: 'read', value: null }, output: 1, call: 2, ret: 3, ops: [2, 3] },
          { input: { f: 'cas', value: [1, 2] }, output: undefined, call: 4, ret: INF, ops: [4, 5] },
          { input: { f: 'cas', value: [2, 3] }, output: undefined, call: 11, ret: INF, ops: [11] },
        ],
      },
    ]);
  });

  it('keys each register by the key of its invocation, or else of its completion', () => {
    const history = ops(
      at('invoke', 0, 'write', 1, 'a'),
      at('ok', 0, 'write', 1),
      at('invoke', 1, 'write', 2),
      at('ok', 1, 'write', 2, 'b'),
      at('invoke', 2, 'write', 3),
      at('ok', 2, 'write', 3),
      at('invoke', 3, 'write', 4),
    );
    expect(historyPartitions(history).map((p) => [p.key, p.ops.map((o) => o.call)])).toEqual([
      ['a', [0]],
      ['b', [2]],
      ['register', [4, 6]],
    ]);
  });

  it('keeps the number 1 and the string "1" apart, though they print alike', () => {
    const history: HistoryOp[] = ops(
      { ...at('invoke', 0, 'write', 1), key: 1 },
      { ...at('ok', 0, 'write', 1), key: 1 },
      at('invoke', 1, 'write', 2, '1'),
      at('ok', 1, 'write', 2, '1'),
    );
    expect(historyPartitions(history).map((p) => [p.key, p.ops.length])).toEqual([
      ['1', 1],
      ['1', 1],
    ]);
  });
});

const S = 'ses-1';
const created = (p: number | string, value: unknown = { sessionId: S, revision: 1 }): Op[] => [
  at('invoke', p, 'create-session', {}),
  at('ok', p, 'create-session', value),
];
const onSession = (type: Op['type'], p: number, f: string, o: Record<string, unknown> = {}) =>
  at(type, p, f, { sessionId: S, ...o });

describe('sessionPartitions: each session a register of its revision', () => {
  it('turns each client op into a read or a change of the revision, field by field', () => {
    const history = ops(
      ...created(0), // 0, 1
      onSession('invoke', 1, 'read-session'), // 2
      onSession('ok', 1, 'read-session', { revision: 1 }), // 3
      onSession('invoke', 1, 'modify-session', { ifMatch: 1 }), // 4
      onSession('ok', 1, 'modify-session', { revision: 2 }), // 5: cas 1 -> 2
      onSession('invoke', 1, 'modify-session'), // 6
      onSession('ok', 1, 'modify-session', { revision: 3 }), // 7: cas 2 -> 3, the answer less one
      onSession('invoke', 1, 'release-session', { ifMatch: 3 }), // 8
      onSession('ok', 1, 'release-session', {}), // 9: committed, no revision: cas 3 -> 4
      onSession('invoke', 1, 'modify-session', { ifMatch: 4 }), // 10
      at('info', 1, 'modify-session', { status: 504 }), // 11: unknown, If-Match 4: cas 4 -> 5 at +infinity
      onSession('invoke', 2, 'modify-session'), // 12
      at('info', 2, 'modify-session', { status: 504 }), // 13: unknown, unconditional: incr at +infinity
      onSession('invoke', 3, 'read-session'), // 14
      at('info', 3, 'read-session', { status: 504 }), // 15: unknown read: dropped
      onSession('invoke', 4, 'read-session'), // 16
      onSession('ok', 4, 'read-session', {}), // 17: answered without a revision: dropped
      onSession('invoke', 5, 'modify-session', { ifMatch: 9 }), // 18
      onSession('fail', 5, 'modify-session', { status: 412 }), // 19: refused: dropped
      onSession('invoke', 6, 'release-session', { ifMatch: 7 }), // 20: never answered: cas 7 -> 8
    );
    expect(sessionPartitions(history)).toEqual([
      {
        key: `session:${S}`,
        initial: 1,
        ops: [
          { input: { f: 'read', value: null }, output: 1, call: 2, ret: 3, ops: [2, 3] },
          { input: { f: 'cas', value: [1, 2] }, output: undefined, call: 4, ret: 5, ops: [4, 5] },
          { input: { f: 'cas', value: [2, 3] }, output: undefined, call: 6, ret: 7, ops: [6, 7] },
          { input: { f: 'cas', value: [3, 4] }, output: undefined, call: 8, ret: 9, ops: [8, 9] },
          { input: { f: 'cas', value: [4, 5] }, output: undefined, call: 10, ret: INF, ops: [10, 11] },
          { input: { f: 'incr', value: null }, output: undefined, call: 12, ret: INF, ops: [12, 13] },
          { input: { f: 'cas', value: [7, 8] }, output: undefined, call: 20, ret: INF, ops: [20] },
        ],
      },
    ]);
  });

  it('starts at the revision the first creation answered, 1 if it gave none, and ignores a second answer', () => {
    const history = ops(
      ...created(0, { sessionId: 'a' }),
      ...created(1, { sessionId: 'b', revision: 4 }),
      ...created(2, { sessionId: 'b', revision: 9 }),
      ...created(3, { revision: 2 }), // no session id: nothing created
      at('invoke', 4, 'read-session', { sessionId: 'a' }),
      at('ok', 4, 'read-session', { sessionId: 'a', revision: 1 }),
      at('invoke', 4, 'read-session', { sessionId: 'b' }),
      at('ok', 4, 'read-session', { sessionId: 'b', revision: 4 }),
      at('invoke', 4, 'read-session', {}),
      at('ok', 4, 'read-session', { revision: 2 }),
    );
    expect(sessionPartitions(history).map((p) => [p.key, p.initial, p.ops.map((o) => o.call)])).toEqual([
      ['session:a', 1, [8]],
      ['session:b', 4, [10]],
    ]);
  });

  it('creates a session only by a creation that answered: not by a creation asked, nor by an answer to a read', () => {
    const history = ops(
      at('invoke', 0, 'create-session', { sessionId: 'asked' }), // a creation naming a session, never answered
      at('invoke', 1, 'read-session', { sessionId: 'seen' }),
      at('ok', 1, 'read-session', { sessionId: 'seen', revision: 3 }), // an answer naming a session never created
      at('invoke', 1, 'read-session', { sessionId: 'seen' }),
      at('ok', 1, 'read-session', { sessionId: 'seen', revision: 3 }),
      at('invoke', 2, 'read-session', { sessionId: 'asked' }),
      at('ok', 2, 'read-session', { sessionId: 'asked', revision: 1 }),
    );
    expect(sessionPartitions(history)).toEqual([]);
  });

  it('judges no nemesis op and no creation the nemesis answered, nor a create or a totals read', () => {
    const history = ops(
      ...created('nemesis', { sessionId: 'n', revision: 1 }),
      at('invoke', 0, 'read-session', { sessionId: 'n' }),
      at('ok', 0, 'read-session', { sessionId: 'n', revision: 1 }),
      ...created(1),
      at('invoke', 'nemesis', 'read-session', { sessionId: S }),
      at('ok', 'nemesis', 'read-session', { sessionId: S, revision: 1 }),
      at('invoke', 2, 'create-session', { sessionId: S }),
      at('ok', 2, 'create-session', { sessionId: S, revision: 1 }),
      at('invoke', 2, 'read-totals', { sessionId: S }),
      at('ok', 2, 'read-totals', { sessionId: S, revision: 1 }),
      at('invoke', 3, 'read-session', { sessionId: S }),
      at('ok', 3, 'read-session', { sessionId: S, revision: 1 }),
    );
    expect(sessionPartitions(history).map((p) => [p.key, p.ops.map((o) => o.call)])).toEqual([[`session:${S}`, [12]]]);
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
  end: start + 5,
  ...o,
});

describe('dsmPartitions: each DSM record a register of its version', () => {
  it('turns each call into an op timed by its clocks, dropping failed calls and reads of unknown outcome', () => {
    const records = [
      dsmOp('cas', [0, 1], 10),
      dsmOp('read', 1, 20),
      dsmOp('read', null, 30), // no record: version 0
      dsmOp('cas', [1, 2], 40, { outcome: 'info' }), // timed out at 45: unknown outcome, may apply any time after 40
      dsmOp('cas', [1, 3], 50, { outcome: 'ok', end: undefined }), // ok without an end: unknown when
      dsmOp('read', 2, 60, { outcome: 'ok', end: undefined }),
      dsmOp('cas', [1, 2], 70, { outcome: 'fail' }),
      dsmOp('read', 2, 80, { outcome: 'info' }),
      dsmOp('cas', [0, 1], 5, { key: 's2' }),
    ];
    const [s1, s2] = dsmPartitions(records);
    expect(s1).toEqual({
      key: 'dsm:s1',
      initial: 0,
      ops: [
        { input: { f: 'cas', value: [0, 1] }, output: undefined, call: 10, ret: 15, ops: [], source: records[0] },
        { input: { f: 'read', value: null }, output: 1, call: 20, ret: 25, ops: [], source: records[1] },
        { input: { f: 'read', value: null }, output: 0, call: 30, ret: 35, ops: [], source: records[2] },
        { input: { f: 'cas', value: [1, 2] }, output: undefined, call: 40, ret: INF, ops: [], source: records[3] },
        { input: { f: 'cas', value: [1, 3] }, output: undefined, call: 50, ret: INF, ops: [], source: records[4] },
        { input: { f: 'read', value: null }, output: undefined, call: 60, ret: INF, ops: [], source: records[5] },
      ],
    });
    expect(s2).toMatchObject({ key: 'dsm:s2', initial: 0, ops: [{ call: 5, ret: 10 }] });
    expect(dsmPartitions([])).toEqual([]);
  });
});

describe('registerPartitions and cite', () => {
  it('lists the registers of every source: plain ops, then sessions, then DSM records', () => {
    const history = ops(
      at('invoke', 0, 'write', 1),
      at('ok', 0, 'write', 1),
      ...created(1),
      at('invoke', 1, 'read-session', { sessionId: S }),
      at('ok', 1, 'read-session', { sessionId: S, revision: 1 }),
    );
    const obs = observations({ 'dsm-op': [dsmOp('read', null, 10)] });
    expect(registerPartitions(history, obs).map((p) => [p.key, p.ops.length, p.initial])).toEqual([
      ['register', 1, null],
      [`session:${S}`, 1, 1],
      ['dsm:s1', 1, 0],
    ]);
  });

  it('cites history ops by their indices and a DSM call by its node, call, value and start', () => {
    const base = { input: { f: 'read' as const, value: null }, output: 1, call: 0, ret: 1 };
    expect(cite({ ...base, ops: [4, 9] })).toBe('ops 4-9');
    expect(cite({ ...base, ops: [4] })).toBe('op 4');
    expect(cite({ ...base, ops: [], source: dsmOp('cas', [0, 1], 30, { node: 'n2' }) })).toBe('n2 cas [0,1] at 30 ns');
  });
});
