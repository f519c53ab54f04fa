// Small builders for hand-written histories: one committed transaction t1 of session s1 is the baseline, and each
// anomaly test changes one thing about it.
import { expect, it } from 'vitest';
import type { HistoryOp } from '../../format/history.ts';
import { emptyObservations, type ObservationOf, type Observations } from '../../format/observations.ts';
import type { Checker, Result } from '../result.ts';

type OpSpec = Omit<HistoryOp, 'index' | 'time' | 'value'> & { time?: number; value?: unknown };

/** Ops in order; index = position, time = 10 ns per position unless given. */
export function ops(...specs: OpSpec[]): HistoryOp[] {
  return specs.map((s, index) => ({ value: null, ...s, index, time: s.time ?? index * 10 }) as HistoryOp);
}

export function observations(parts: Partial<Observations>): Observations {
  return { ...emptyObservations(), ...parts };
}

const request = { requestId: 'r1', subscriberId: 'sub1', trafficClass: 'voice', protocol: '2pc' };
export const invokeCreate = (process = 0, value: unknown = request): OpSpec => ({
  type: 'invoke',
  process,
  f: 'create-session',
  value,
});
export const okCreate = (process = 0, txnId = 't1'): OpSpec => ({
  type: 'ok',
  process,
  f: 'create-session',
  value: { sessionId: 's1', txnId, outcome: 'committed' },
});
export const failCreate = (
  process = 0,
  value: unknown = { sessionId: 's1', txnId: 't1', outcome: 'aborted', reason: 'no-capacity', status: 409 },
): OpSpec => ({
  type: 'fail',
  process,
  f: 'create-session',
  value,
});
export const infoCreate = (process = 0): OpSpec => ({
  type: 'info',
  process,
  f: 'create-session',
  value: { status: 504 },
  error: 'timeout',
});

/** A modify-session or release-session op of session s1 (issue 22): what it asks and what it was told. */
type Change = 'modify-session' | 'release-session';
export const invokeChange = (
  f: Change,
  process = 0,
  value: unknown = { requestId: 'r2', sessionId: 's1' },
): OpSpec => ({
  type: 'invoke',
  process,
  f,
  value,
});
export const okChange = (f: Change, process = 0, txnId = 't2', revision = 1): OpSpec => ({
  type: 'ok',
  process,
  f,
  value: {
    sessionId: 's1',
    txnId,
    outcome: 'committed',
    kind: f === 'modify-session' ? 'modify' : 'release',
    revision,
  },
});
export const failChange = (f: Change, process = 0, value: unknown = { status: 412, code: 'precondition_failed' }) =>
  ({ type: 'fail', process, f, value }) as OpSpec;
export const infoChange = (f: Change, process = 0): OpSpec => ({
  type: 'info',
  process,
  f,
  value: { status: 504 },
  error: 'timeout',
});

export function txn(o: Partial<ObservationOf<'txn'>> = {}): ObservationOf<'txn'> {
  return {
    kind: 'txn',
    txnId: 't1',
    sessionId: 's1',
    requestId: 'r1',
    protocol: '2pc',
    participants: ['rm', 'billing'],
    state: 'committed',
    votes: { rm: 'yes', billing: 'yes' },
    token: 1,
    createdAt: 100,
    decidedAt: 200,
    decidedBy: 'n1',
    endedAt: 300,
    ...o,
  };
}

export function part(
  participant: 'rm' | 'billing',
  o: Partial<ObservationOf<'participant'>> = {},
): ObservationOf<'participant'> {
  return { kind: 'participant', participant, txnId: 't1', vote: 'yes', state: 'committed', token: 1, at: 300, ...o };
}

export function dsm(
  version: number,
  state: ObservationOf<'dsm'>['state'],
  o: Partial<ObservationOf<'dsm'>> = {},
): ObservationOf<'dsm'> {
  return { kind: 'dsm', sessionId: 's1', txnId: 't1', version, state, token: 1, at: 100 + version, ...o };
}

export function event(seq: number, o: Partial<ObservationOf<'event'>> = {}): ObservationOf<'event'> {
  return {
    kind: 'event',
    entryId: `1-${seq}`,
    sessionId: 's1',
    txnId: 't1',
    outcome: 'committed',
    seq,
    token: 1,
    at: 400 + seq,
    ...o,
  };
}

export function leader(
  node: string,
  epoch: number,
  at: number,
  ev: ObservationOf<'leader'>['event'] = 'acquire',
): ObservationOf<'leader'> {
  return { kind: 'leader', node, epoch, event: ev, at };
}

/** The baseline: t1 committed everywhere, with its event. */
export function committedRun(): { history: HistoryOp[]; obs: Observations } {
  return {
    history: ops(invokeCreate(), okCreate()),
    obs: observations({
      txn: [txn()],
      participant: [part('rm'), part('billing')],
      dsm: [dsm(1, 'PENDING'), dsm(2, 'PREPARED'), dsm(3, 'COMMITTED')],
      event: [event(1)],
      leader: [leader('n1', 1, 0)],
    }),
  };
}

export function account(
  phase: 'initial' | 'final',
  o: Partial<ObservationOf<'account'>> = {},
): ObservationOf<'account'> {
  return { kind: 'account', accountId: 'a1', phase, balance: 100, held: 0, spent: 0, charged: 0, at: 0, ...o };
}

export function cell(id: string, phase: 'initial' | 'final', used = 0): ObservationOf<'cell'> {
  return {
    kind: 'cell',
    cellId: id,
    phase,
    capacity: 6,
    free: 6 - used,
    held: 0,
    used,
    at: phase === 'initial' ? 0 : 1e4,
  };
}

/**
 * A session's whole life (issue 22), committed everywhere: t1 creates s1 (voice on cell-1, account a1, request r1),
 * t2 modifies it (request r2: video on cell-2), t3 releases it (request r3). Each txn writes three DSM versions and
 * one event; the snapshots show its credit charged and its channels back. Each lifecycle test breaks one thing.
 */
export function lifecycleRun(): { history: HistoryOp[]; obs: Observations } {
  const history = ops(
    invokeCreate(0, { requestId: 'r1', subscriberId: 'a1', trafficClass: 'voice', protocol: '2pc', cells: ['cell-1'] }),
    okCreate(0, 't1'),
    invokeChange('modify-session', 0, { requestId: 'r2', sessionId: 's1', trafficClass: 'video', cells: ['cell-2'] }),
    okChange('modify-session', 0, 't2', 2),
    invokeChange('release-session', 0, { requestId: 'r3', sessionId: 's1' }),
    okChange('release-session', 0, 't3', 3),
  );
  const t2 = { txnId: 't2', requestId: 'r2', createdAt: 400, decidedAt: 500, endedAt: 600 };
  const t3 = { txnId: 't3', requestId: 'r3', createdAt: 700, decidedAt: 800, endedAt: 900 };
  const obs = observations({
    txn: [
      txn({ action: 'create', trafficClass: 'voice' }),
      txn({ ...t2, action: 'modify', trafficClass: 'video' }),
      txn({ ...t3, action: 'release', trafficClass: 'video' }),
    ],
    participant: [
      part('billing', { action: 'create', accountId: 'a1', amount: 5 }),
      part('rm', { action: 'create', cells: ['cell-1'] }),
      part('billing', { txnId: 't2', at: 600, action: 'modify', accountId: 'a1', amount: 20, releasedAmount: 5 }),
      part('rm', { txnId: 't2', at: 600, action: 'modify', cells: ['cell-2'], releasedCells: ['cell-1'] }),
      part('billing', { txnId: 't3', at: 900, action: 'release', accountId: 'a1', amount: 0, releasedAmount: 20 }),
      part('rm', { txnId: 't3', at: 900, action: 'release', cells: [], releasedCells: ['cell-2'] }),
    ],
    dsm: [
      dsm(1, 'PENDING', { status: 'PENDING', revision: 0 }),
      dsm(2, 'PREPARED', { status: 'PREPARED', revision: 0 }),
      dsm(3, 'COMMITTED', { status: 'COMMITTED', revision: 1 }),
      dsm(4, 'PENDING', { txnId: 't2', status: 'COMMITTED', revision: 1, at: 450 }),
      dsm(5, 'PREPARED', { txnId: 't2', status: 'COMMITTED', revision: 1, at: 460 }),
      dsm(6, 'COMMITTED', { txnId: 't2', status: 'COMMITTED', revision: 2, at: 550 }),
      dsm(7, 'PENDING', { txnId: 't3', status: 'COMMITTED', revision: 2, at: 750 }),
      dsm(8, 'PREPARED', { txnId: 't3', status: 'COMMITTED', revision: 2, at: 760 }),
      dsm(9, 'COMMITTED', { txnId: 't3', status: 'RELEASED', revision: 3, at: 850 }),
    ],
    event: [event(1), event(2, { txnId: 't2', at: 700 }), event(3, { txnId: 't3', at: 1000 })],
    leader: [leader('n1', 1, 0)],
    account: [account('initial'), account('final', { balance: 80, charged: 20, at: 1e4 })],
    cell: [cell('cell-1', 'initial'), cell('cell-2', 'initial'), cell('cell-1', 'final'), cell('cell-2', 'final')],
  });
  return { history, obs };
}

export function types(r: Result): string[] {
  return [...new Set(r.anomalies.map((a) => a.type))].sort();
}

export function run(
  checker: Checker,
  history: readonly HistoryOp[],
  obs: Observations = emptyObservations(),
  opts = {},
): Result {
  return checker.check(history, obs, opts);
}

/** One anomaly on a minimal run: `build(true)` shows it, `build(false)` is the corrected twin. */
export interface TwinCase {
  type: string;
  key: string;
  /** The op indices the anomaly must name (default none). */
  ops?: number[];
  /** The explanation, exactly: it must carry the evidence (the txn id, token, key or sequence that proves it). */
  explains?: string;
  build(broken: boolean): { history: HistoryOp[]; obs: Observations };
}

/** For each case: the broken run is invalid with that anomaly (type, key, ops, an explanation); the twin is valid. */
export function twinTests(checker: Checker, cases: readonly TwinCase[]): void {
  for (const c of cases) {
    it(`reports ${c.type} on ${c.key} naming ops [${c.ops ?? []}], and passes the corrected twin`, () => {
      const broken = c.build(true);
      const bad = checker.check(broken.history, broken.obs, {});
      expect(bad.valid).toBe(false);
      const found = bad.anomalies.find((a) => a.type === c.type && a.key === c.key);
      expect(found, `${c.type} on ${c.key} among ${JSON.stringify(bad.anomalies)}`).toBeDefined();
      expect(found?.ops).toEqual(c.ops ?? []);
      expect(found?.explanation).not.toBe('');
      if (c.explains !== undefined) expect(found?.explanation).toBe(c.explains);
      const fixed = c.build(false);
      const good = checker.check(fixed.history, fixed.obs, {});
      expect(good.anomalies).toEqual([]);
      expect(good.valid).toBe(true);
    });
  }
}

/** The life up to its modify (t1, t2): s1 holds video on cell-2, spent 20. */
export function modifiedRun(): { history: HistoryOp[]; obs: Observations } {
  const { history, obs } = lifecycleRun();
  obs.txn = obs.txn.filter((t) => t.txnId !== 't3');
  obs.participant = obs.participant.filter((p) => p.txnId !== 't3');
  obs.dsm = obs.dsm.filter((d) => d.txnId !== 't3');
  obs.account[1] = account('final', { balance: 80, spent: 20, at: 1e4 });
  obs.cell[3] = cell('cell-2', 'final', 1);
  return { history: history.slice(0, 4), obs };
}
