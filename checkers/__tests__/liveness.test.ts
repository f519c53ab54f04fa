// Proves each liveness anomaly is reported on a minimal history or leftover record, and that the corrected twin passes.
import { describe, expect, it } from 'vitest';
import type { ObservationOf } from '../../format/observations.ts';
import { liveness } from '../liveness.ts';
import { checkSafe } from '../result.ts';
import {
  invokeCreate,
  lifecycleRun,
  observations,
  okCreate,
  ops,
  run,
  type TwinCase,
  twinTests,
  txn,
} from './fixtures.ts';

const heal = ops(
  { type: 'invoke', process: 'nemesis', f: 'stop-partition', value: { heal: 'all' }, time: 1_000 },
  { type: 'info', process: 'nemesis', f: 'stop-partition', value: { heal: 'all' }, time: 2_000 },
);
const deadlock = (resolvedAt?: number): ObservationOf<'deadlock'> => ({
  kind: 'deadlock',
  cycle: ['t1', 't2'],
  victim: 't2',
  method: 'timeout',
  detectedAt: 100,
  ...(resolvedAt === undefined ? {} : { resolvedAt }),
});
const wait = (txnId: string, waitsFor: string, end?: number): ObservationOf<'lock-wait'> => ({
  kind: 'lock-wait',
  participant: 'rm',
  txnId,
  waitsFor,
  start: 50,
  ...(end === undefined ? {} : { end }),
});

const cases: TwinCase[] = [
  {
    type: 'never-completed',
    key: 'process 0',
    explains: 'create-session invoked at 0 ms never completed',
    ops: [0],
    build: (broken) => ({
      history: broken ? ops(invokeCreate()) : ops(invokeCreate(), okCreate()),
      obs: observations({}),
    }),
  },
  {
    type: 'txn-not-finished',
    key: 't1',
    explains: 'ended at 10000 ms; due by 10000 ms (final heal 0 ms + 10000 ms)',
    ops: [],
    build: (broken) => ({
      history: heal,
      obs: observations({ txn: [txn({ endedAt: broken ? 2_000 + 10_000_000_001 : 3_000 })] }),
    }),
  },
  {
    type: 'txn-not-finished',
    key: 't1',
    explains: 'never ended (state prepared); due by 10000 ms (final heal 0 ms + 10000 ms)',
    ops: [],
    build: (broken) => ({
      history: heal,
      obs: observations({ txn: [broken ? txn({ state: 'prepared', endedAt: undefined }) : txn()] }),
    }),
  },
  {
    type: 'lock-left',
    key: 't1',
    explains: 'rm lock on cell:c1 still held by t1',
    ops: [],
    build: (broken) => ({
      history: [],
      obs: observations({
        lock: broken ? [{ kind: 'lock', participant: 'rm', resource: 'cell:c1', txnId: 't1', observedAt: 9 }] : [],
      }),
    }),
  },
  {
    type: 'prepared-left',
    key: 't1',
    explains: 'rm still has prepared transaction g1 at 0 ms',
    ops: [],
    build: (broken) => ({
      history: [],
      obs: observations({
        prepared: broken ? [{ kind: 'prepared', participant: 'rm', gid: 'g1', txnId: 't1', observedAt: 9 }] : [],
      }),
    }),
  },
  {
    type: 'deadlock-unresolved',
    key: 't1 -> t2',
    explains: 'timeout found it at 0 ms, victim t2, never resolved',
    ops: [],
    build: (broken) => ({ history: [], obs: observations({ deadlock: [deadlock(broken ? undefined : 150)] }) }),
  },
  {
    type: 'deadlock-unresolved',
    key: 't1 -> t2',
    explains: 'wait-for cycle still open at the end: t1 -> t2 -> t1',
    ops: [],
    build: (broken) => ({
      history: [],
      obs: observations({
        'lock-wait': [wait('t1', 't2', broken ? undefined : 150), wait('t2', 't1', broken ? undefined : 150)],
      }),
    }),
  },
  {
    // The detector's record never says resolved (the run stopped first); the participants' waits show one edge ended.
    type: 'deadlock-unresolved',
    key: 't1 -> t2',
    explains: 'wait-for cycle still open at the end: t1 -> t2 -> t1',
    ops: [],
    build: (broken) => ({
      history: [],
      obs: observations({
        deadlock: [deadlock()],
        'lock-wait': [wait('t1', 't2', broken ? undefined : 150), wait('t2', 't1', broken ? undefined : 200)],
      }),
    }),
  },
];

describe('liveness', () => {
  twinTests(liveness, cases);

  it('measures the deadline from the final heal, given or taken from the last nemesis op', () => {
    const obs = observations({ txn: [txn({ endedAt: 2_000 + 5_000 })] });
    expect(run(liveness, heal, obs).valid).toBe(true);
    expect(run(liveness, heal, obs, { deadlineNs: 1_000 }).valid).toBe(false);
    expect(run(liveness, heal, obs, { deadlineNs: 1_000, finalHealAt: 6_500 }).valid).toBe(true);
  });

  it('times a deadlock the detector did not see end by the first of its edges to end', () => {
    const obs = observations({
      deadlock: [deadlock()],
      'lock-wait': [wait('t1', 't2', 400_000_000), wait('t2', 't1', 900_000_000), wait('t2', 't1')],
    });
    const stats = run(liveness, heal, obs).stats as { deadlocks: Record<string, { resolveMaxMs: number }> };
    expect(stats.deadlocks.timeout?.resolveMaxMs).toBeCloseTo(400, 0);
  });

  it('times each deadlock from its forming, and leaves the unresolved out of the times', () => {
    const found = (formedAt: number, detectedAt: number, resolvedAt?: number): ObservationOf<'deadlock'> => ({
      ...deadlock(resolvedAt),
      method: 'detector',
      formedAt,
      detectedAt,
    });
    const ms = 1_000_000;
    const obs = observations({
      deadlock: [found(0, 50 * ms, 100 * ms), found(0, 50 * ms, 300 * ms), found(0, 50 * ms, 200 * ms), found(0, 9)],
    });
    const stats = run(liveness, heal, obs).stats as { deadlocks: Record<string, unknown> };
    expect(stats.deadlocks.detector).toEqual({
      count: 4,
      resolved: 3,
      resolveMedianMs: 200,
      resolveMeanMs: 200,
      resolveMaxMs: 300,
    });
  });

  it('reports a lock wait still open at the end outside any cycle, naming both transactions and the participant', () => {
    const obs = observations({ 'lock-wait': [wait('t1', 't2'), wait('t3', 't1', 90)] });
    const r = run(liveness, [], obs);
    expect(r.anomalies.map((a) => [a.type, a.key, a.explanation])).toEqual([
      ['lock-left', 't1', 't1 still waiting for t2 at rm'],
    ]);
  });

  it('carries the evidence of each anomaly in its explanation', () => {
    const explain = (history: Parameters<typeof run>[1], obs: Parameters<typeof run>[2]) =>
      run(liveness, history, obs).anomalies.map((a) => [a.type, a.key, a.explanation]);
    expect(explain(ops({ ...invokeCreate(), time: 3_000_000 }), observations({}))).toEqual([
      ['never-completed', 'process 0', 'create-session invoked at 3 ms never completed'],
    ]);
    const late = observations({ txn: [txn({ createdAt: 0, endedAt: 12_000_000_000 })] });
    expect(explain(heal, late)).toEqual([
      ['txn-not-finished', 't1', 'ended at 12000 ms; due by 10000 ms (final heal 0 ms + 10000 ms)'],
    ]);
    const stuck = observations({ txn: [txn({ state: 'prepared', endedAt: undefined })] });
    expect(explain(heal, stuck)[0]).toEqual([
      'txn-not-finished',
      't1',
      'never ended (state prepared); due by 10000 ms (final heal 0 ms + 10000 ms)',
    ]);
    const leftovers = observations({
      prepared: [{ kind: 'prepared', participant: 'billing', gid: 'g1', txnId: 't1', observedAt: 7_000_000 }],
      lock: [{ kind: 'lock', participant: 'rm', resource: 'cell:c1', txnId: 't2', observedAt: 9 }],
      deadlock: [deadlock()],
      'lock-wait': [wait('t4', 't5'), wait('t5', 't4')],
    });
    expect(explain([], leftovers)).toEqual([
      ['prepared-left', 't1', 'billing still has prepared transaction g1 at 7 ms'],
      ['lock-left', 't2', 'rm lock on cell:c1 still held by t2'],
      ['deadlock-unresolved', 't4 -> t5', 'wait-for cycle still open at the end: t4 -> t5 -> t4'],
      ['deadlock-unresolved', 't1 -> t2', 'timeout found it at 0 ms, victim t2, never resolved'],
    ]);
  });
});

// Issue 22: a session's modify and release are transactions of their own, each due to end, each citing its own op.
describe('liveness: a session with several transactions', () => {
  it("passes a session's whole life, counting each of its transactions", () => {
    const { history, obs } = lifecycleRun();
    const r = run(liveness, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ txns: 3, invocations: 3 });
  });

  it('reports a release that never ended, citing the release op and not the create', () => {
    const { history, obs } = lifecycleRun();
    obs.txn[2] = { ...obs.txn[2]!, state: 'prepared', endedAt: undefined };
    const r = run(liveness, history, obs);
    expect(r.anomalies.map((a) => [a.type, a.key, a.ops])).toEqual([['txn-not-finished', 't3', [4, 5]]]);
    expect(r.anomalies[0]?.explanation).toBe(
      'never ended (state prepared); due by 10000 ms (final heal 0 ms + 10000 ms)',
    );
  });
});

// Issue 30: what a mutant of the checker would change and no test above pins: the deadline's edge, a transaction
// created after the heal, cycles reached from outside them, records that lack a name, the deadlock times, and every
// figure reported.
describe('liveness: the edges, the cycles and the figures', () => {
  const explain = (history: Parameters<typeof run>[1], obs: Parameters<typeof run>[2]) =>
    run(liveness, history, obs).anomalies.map((a) => [a.type, a.key, a.explanation]);
  const ms = 1_000_000;

  it('reports its name and every figure of a whole session life exactly, coverage included', () => {
    const { history, obs } = lifecycleRun();
    const r = checkSafe(liveness).check(history, obs, {});
    expect(liveness.name).toBe('liveness');
    expect(r.valid).toBe(true);
    expect(r.coverage).toEqual({ invocations: 3, txns: 3, decisionQueries: 0, precommitTimeouts: 0, recoveries: 0 });
    expect(r.stats).toEqual({
      invocations: 3,
      txns: 3,
      openInvocations: 0,
      finalHealAt: 0,
      deadlineNs: 10_000_000_000,
      deadlocks: {},
      decisionQueries: 0,
      precommitTimeouts: 0,
      recoveries: 0,
      decisionQueryAnswers: {},
      anomalies: {},
    });
  });

  it("counts client invocations, not the nemesis's, and the open ones", () => {
    const history = ops(
      { type: 'invoke', process: 'nemesis', f: 'stop-partition', value: { heal: 'all' }, time: 1_000 },
      { type: 'info', process: 'nemesis', f: 'stop-partition', value: { heal: 'all' }, time: 2_000 },
      { ...invokeCreate(0), time: 3_000 },
      { ...okCreate(0), time: 4_000 },
      { ...invokeCreate(1), time: 5_000 },
    );
    const r = run(liveness, history, observations({}));
    expect(r.anomalies.map((a) => [a.type, a.key, a.ops])).toEqual([['never-completed', 'process 1', [4]]]);
    expect(r.stats).toMatchObject({ invocations: 2, openInvocations: 1, finalHealAt: 2_000 });
  });

  it('passes a transaction that ends exactly at its deadline, and reports one that ends a nanosecond later', () => {
    const due = 2_000 + 10_000_000_000;
    expect(explain(heal, observations({ txn: [txn({ endedAt: due })] }))).toEqual([]);
    expect(explain(heal, observations({ txn: [txn({ endedAt: due + 1 })] })).map((a) => a[0])).toEqual([
      'txn-not-finished',
    ]);
  });

  it('gives a transaction created after the final heal the whole deadline from its creation', () => {
    const created = 5_000 * ms;
    const obs = observations({ txn: [txn({ createdAt: created, endedAt: created + 9_000 * ms })] });
    expect(explain(heal, obs)).toEqual([]);
    const late = observations({ txn: [txn({ createdAt: created, endedAt: created + 11_000 * ms })] });
    expect(explain(heal, late)).toEqual([
      ['txn-not-finished', 't1', 'ended at 16000 ms; due by 15000 ms (final heal 0 ms + 10000 ms)'],
    ]);
  });

  it('reports the deadline and heal time it was given, in its explanation and its figures', () => {
    const obs = observations({ txn: [txn({ createdAt: 0, endedAt: 9_000 * ms })] });
    const r = run(liveness, heal, obs, { deadlineNs: 4_000 * ms, finalHealAt: 3_000 * ms });
    expect(r.anomalies.map((a) => a.explanation)).toEqual([
      'ended at 9000 ms; due by 7000 ms (final heal 3000 ms + 4000 ms)',
    ]);
    expect(r.stats).toMatchObject({ finalHealAt: 3_000 * ms, deadlineNs: 4_000 * ms });
  });

  it('reports a cycle reached from waiters outside it once, and each outside waiter as a lock left', () => {
    const obs = observations({
      'lock-wait': [wait('t1', 't2'), wait('t2', 't3'), wait('t3', 't2'), wait('t4', 't2')],
    });
    expect(explain([], obs)).toEqual([
      ['deadlock-unresolved', 't2 -> t3', 'wait-for cycle still open at the end: t2 -> t3 -> t2'],
      ['lock-left', 't1', 't1 still waiting for t2 at rm'],
      ['lock-left', 't4', 't4 still waiting for t2 at rm'],
    ]);
    expect(run(liveness, [], obs).anomalies.map((a) => a.ops)).toEqual([[], [], []]);
  });

  it('reports a transaction waiting for itself as one cycle, once, also when another waits for it', () => {
    expect(explain([], observations({ 'lock-wait': [wait('t1', 't1')] }))).toEqual([
      ['deadlock-unresolved', 't1', 'wait-for cycle still open at the end: t1 -> t1'],
    ]);
    expect(explain([], observations({ 'lock-wait': [wait('t0', 't1'), wait('t1', 't1')] }))).toEqual([
      ['deadlock-unresolved', 't1', 'wait-for cycle still open at the end: t1 -> t1'],
      ['lock-left', 't0', 't0 still waiting for t1 at rm'],
    ]);
  });

  it('names a prepared transaction by its gid, and a lock by its resource, when no txn id was recorded', () => {
    const obs = observations({
      prepared: [{ kind: 'prepared', participant: 'rm', gid: 'g7', observedAt: 2 * ms }],
      lock: [{ kind: 'lock', participant: 'billing', resource: 'account:a1', observedAt: 9 }],
    });
    expect(explain([], obs)).toEqual([
      ['prepared-left', 'g7', 'rm still has prepared transaction g7 at 2 ms'],
      ['lock-left', 'account:a1', 'billing lock on account:a1 still held by ?'],
    ]);
  });

  it('says so when an unresolved deadlock names no victim', () => {
    const { victim: _, ...unnamed } = deadlock();
    expect(explain([], observations({ deadlock: [unnamed] }))).toEqual([
      ['deadlock-unresolved', 't1 -> t2', 'timeout found it at 0 ms, victim not named, never resolved'],
    ]);
  });

  it('times a deadlock the waits show ended by its first edge to end, from its forming', () => {
    const obs = observations({
      deadlock: [{ ...deadlock(), method: 'detector', formedAt: 10 * ms, detectedAt: 50 * ms }],
      'lock-wait': [wait('t1', 't2', 250 * ms), wait('t2', 't1', 150 * ms)],
    });
    const r = run(liveness, [], obs);
    expect(r.anomalies).toEqual([]);
    expect((r.stats as { deadlocks: unknown }).deadlocks).toEqual({
      detector: { count: 1, resolved: 1, resolveMedianMs: 140, resolveMeanMs: 140, resolveMaxMs: 140 },
    });
  });

  it('ends a deadlock no earlier than its detection when the waits ended before it', () => {
    const obs = observations({
      deadlock: [{ ...deadlock(), formedAt: 10 * ms, detectedAt: 50 * ms }],
      'lock-wait': [wait('t1', 't2', 30 * ms), wait('t2', 't1', 40 * ms)],
    });
    const stats = run(liveness, [], obs).stats as { deadlocks: Record<string, { resolveMaxMs: number }> };
    expect(stats.deadlocks.timeout?.resolveMaxMs).toBe(40);
  });

  it('leaves a deadlock open while one wait of every edge is still open', () => {
    const obs = observations({
      deadlock: [deadlock()],
      'lock-wait': [wait('t1', 't2', 30 * ms), wait('t1', 't2'), wait('t2', 't1', 40 * ms), wait('t2', 't1')],
    });
    const r = run(liveness, [], obs);
    expect(r.anomalies.map((a) => [a.type, a.explanation])).toEqual([
      ['deadlock-unresolved', 'wait-for cycle still open at the end: t1 -> t2 -> t1'],
      ['deadlock-unresolved', 'timeout found it at 0 ms, victim t2, never resolved'],
    ]);
    expect((r.stats as { deadlocks: unknown }).deadlocks).toEqual({
      timeout: { count: 1, resolved: 0, resolveMedianMs: 0, resolveMeanMs: 0, resolveMaxMs: 0 },
    });
  });

  it('takes the lower of two middle times as the median of an even count, per method', () => {
    const found = (method: 'timeout' | 'detector', lasted: number): ObservationOf<'deadlock'> => ({
      ...deadlock(lasted * ms),
      method,
      formedAt: 0,
      detectedAt: 0,
    });
    const obs = observations({
      deadlock: [
        found('timeout', 40),
        found('timeout', 10),
        found('timeout', 30),
        found('timeout', 20),
        found('detector', 5),
      ],
    });
    expect((run(liveness, [], obs).stats as { deadlocks: unknown }).deadlocks).toEqual({
      timeout: { count: 4, resolved: 4, resolveMedianMs: 20, resolveMeanMs: 25, resolveMaxMs: 40 },
      detector: { count: 1, resolved: 1, resolveMedianMs: 5, resolveMeanMs: 5, resolveMaxMs: 5 },
    });
  });
});
