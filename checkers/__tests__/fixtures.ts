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
