// Proves each atomicity anomaly is reported with its type, transaction and client ops on a minimal history, and that
// the same history with the one fault corrected passes.
import { describe, expect, it } from 'vitest';
import { atomicity } from '../atomicity.ts';
import {
  committedRun,
  dsm,
  failCreate,
  infoCreate,
  invokeCreate,
  observations,
  okCreate,
  ops,
  part,
  run,
  type TwinCase,
  twinTests,
  txn,
  types,
} from './fixtures.ts';

const timedOut = () => ops(invokeCreate(), infoCreate());
/** t2, committed at both participants: they are collected, so their silence about t1 is evidence. */
const t2Log = () => txn({ txnId: 't2', requestId: 'r2' });
const t2Parts = () => [part('rm', { txnId: 't2' }), part('billing', { txnId: 't2' })];

const cases: TwinCase[] = [
  {
    type: 'partial-commit',
    key: 't1',
    explains: 'rm committed but billing aborted',
    ops: [0, 1],
    build: (broken) => ({
      history: timedOut(),
      obs: observations({
        txn: [txn()],
        participant: [part('rm'), part('billing', { state: broken ? 'aborted' : 'committed' })],
      }),
    }),
  },
  {
    type: 'commit-without-all-yes',
    key: 't1',
    explains: 'committed although rm voted yes/yes, billing voted no/yes',
    ops: [0, 1],
    build: (broken) => ({
      history: ops(invokeCreate(), okCreate()),
      obs: observations({ txn: [txn()], participant: [part('rm'), part('billing', { vote: broken ? 'no' : 'yes' })] }),
    }),
  },
  {
    type: 'decision-mismatch',
    key: 't1',
    explains: 'log committed but DSM aborted',
    ops: [0, 1],
    build: (broken) => {
      const { obs } = committedRun();
      obs.dsm[2] = dsm(3, broken ? 'ABORTED' : 'COMMITTED');
      return { history: timedOut(), obs };
    },
  },
  {
    type: 'ok-not-committed',
    key: 't1',
    explains: 'client was told committed but log aborted, DSM undecided, rm aborted, billing aborted',
    ops: [0, 1],
    build: (broken) => ({
      history: ops(invokeCreate(), broken ? okCreate() : failCreate()),
      obs: observations({
        txn: [txn({ state: 'aborted', votes: { rm: 'no', billing: 'yes' } })],
        participant: [part('rm', { vote: 'no', state: 'aborted' }), part('billing', { state: 'aborted' })],
      }),
    }),
  },
  {
    type: 'fail-but-committed',
    key: 't1',
    explains: 'client was told it failed but rm committed, billing committed',
    ops: [0, 1],
    build: (broken) => ({ history: ops(invokeCreate(), broken ? failCreate() : okCreate()), obs: committedRun().obs }),
  },
  {
    type: 'left-prepared',
    key: 't1',
    explains: 'rm still prepared after the quiet window',
    ops: [0, 1],
    build: (broken) => ({
      history: timedOut(),
      obs: observations({
        txn: [txn({ state: 'aborted', votes: { rm: 'yes', billing: 'no' } })],
        participant: [
          part('rm', { state: broken ? 'prepared' : 'aborted' }),
          part('billing', { vote: 'no', state: 'aborted' }),
        ],
      }),
    }),
  },
  {
    // Both participants are collected (they recorded t2), yet neither has any record of committed t1.
    type: 'outcome-not-reached',
    key: 't1',
    explains: 'rm has no record of committed t1',
    ops: [0, 1],
    build: (broken) => ({
      history: timedOut(),
      obs: observations({
        txn: [txn(), t2Log()],
        participant: [...(broken ? [] : [part('rm'), part('billing')]), ...t2Parts()],
      }),
    }),
  },
  {
    // rm voted yes, so it prepared; after the abort it must hold a tombstone, not nothing.
    type: 'outcome-not-reached',
    key: 't1',
    explains: 'rm prepared aborted t1 (voted yes) but has no abort or tombstone record',
    ops: [0, 1],
    build: (broken) => ({
      history: ops(invokeCreate(), failCreate()),
      obs: observations({
        txn: [txn({ state: 'aborted', votes: { rm: 'yes', billing: 'no' } }), t2Log()],
        participant: [
          ...(broken ? [] : [part('rm', { state: 'tombstone' })]),
          part('billing', { vote: 'no', state: 'tombstone' }),
          ...t2Parts(),
        ],
      }),
    }),
  },
];

describe('atomicity', () => {
  twinTests(atomicity, cases);

  it('lets a participant that provably never prepared an aborted transaction have no record of it', () => {
    const noVote = { rm: 'no', billing: 'no' } as const;
    const obs = observations({
      txn: [txn({ state: 'aborted', votes: noVote }), t2Log()],
      participant: t2Parts(),
    });
    const r = run(atomicity, ops(invokeCreate(), failCreate()), obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ participantOutcomes: 4 });
  });

  it('holds a participant without a record to an abort it prepared, when only its leftover shows the prepare', () => {
    const obs = observations({
      txn: [txn({ state: 'aborted', votes: { billing: 'no' } }), t2Log()],
      participant: [part('billing', { vote: 'no', state: 'tombstone' }), ...t2Parts()],
      prepared: [{ kind: 'prepared', participant: 'rm', gid: 'sm:t1', txnId: 't1', observedAt: 900 }],
    });
    const found = run(atomicity, ops(invokeCreate(), failCreate()), obs).anomalies;
    expect(found.map((a) => [a.type, a.details])).toEqual([['outcome-not-reached', { participant: 'rm' }]]);
  });

  it('judges no participant it collected nothing from', () => {
    const r = run(atomicity, timedOut(), observations({ txn: [txn()] }));
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ participantOutcomes: 0 });
  });

  it('links a definite failure without a txn id to its transaction through the request id', () => {
    const { obs } = committedRun();
    const history = ops(invokeCreate(), failCreate(0, { status: 503, reason: 'not_leader' }));
    const r = run(atomicity, history, obs);
    expect(r.anomalies.map((a) => [a.type, a.ops])).toEqual([['fail-but-committed', [0, 1]]]);
  });

  it('reports a commit that the log never decided as a decision mismatch', () => {
    const { history, obs } = committedRun();
    obs.txn[0] = txn({ state: 'prepared', decidedAt: undefined, endedAt: undefined });
    expect(types(run(atomicity, history, obs))).toContain('decision-mismatch');
  });

  it('explains a partial commit by who committed and who did not', () => {
    const obs = observations({ txn: [txn()], participant: [part('rm'), part('billing', { state: 'tombstone' })] });
    const found = run(atomicity, timedOut(), obs).anomalies.find((a) => a.type === 'partial-commit');
    expect(found?.explanation).toBe('rm committed but billing tombstone');
  });

  it('accepts the baseline and counts its transactions', () => {
    const { history, obs } = committedRun();
    const r = run(atomicity, history, obs);
    expect(r.valid).toBe(true);
    expect(r.stats).toMatchObject({ txns: 1, committed: 1, aborted: 0 });
  });

  // Each check below must fire alone on its own minimal run: the exact anomaly list and the evidence its explanation
  // carries (the txn, the participants' states, the votes on record).
  const found = (r: ReturnType<typeof run>) => r.anomalies.map((a) => [a.type, a.key, a.explanation]);

  it('reports a log that decided commit while every participant aborted', () => {
    const obs = observations({
      txn: [txn()],
      participant: [part('rm', { state: 'aborted' }), part('billing', { state: 'aborted' })],
    });
    expect(found(run(atomicity, timedOut(), obs))).toEqual([
      ['decision-mismatch', 't1', 'log committed but participants aborted'],
    ]);
  });

  it('reports a logged decision whose DSM record never got past prepared', () => {
    const { obs } = committedRun();
    obs.dsm = [dsm(1, 'PENDING'), dsm(2, 'PREPARED')];
    expect(found(run(atomicity, timedOut(), obs))).toEqual([
      ['decision-mismatch', 't1', 'log committed but the DSM record is not decided'],
    ]);
  });

  it('reports a commit with no yes vote on record for one participant', () => {
    const { vote: _, ...silent } = part('billing');
    const obs = observations({ txn: [txn({ votes: { rm: 'yes' } })], participant: [part('rm'), silent] });
    expect(found(run(atomicity, timedOut(), obs))).toEqual([
      ['commit-without-all-yes', 't1', 'committed although rm voted yes/yes, billing voted nothing'],
    ]);
  });

  it('reports a commit after the coordinator received a no, though the participant recorded yes', () => {
    const obs = observations({
      txn: [txn({ votes: { rm: 'yes', billing: 'no' } })],
      participant: [part('rm'), part('billing')],
    });
    expect(found(run(atomicity, timedOut(), obs))).toEqual([
      ['commit-without-all-yes', 't1', 'committed although rm voted yes/yes, billing voted yes/no'],
    ]);
  });

  it('raises no alarm for a clean commit when no transaction log was collected', () => {
    const { history, obs } = committedRun();
    obs.txn = [];
    const r = run(atomicity, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
  });

  it('raises no alarm for a clean commit when no DSM record was collected', () => {
    const { history, obs } = committedRun();
    obs.dsm = [];
    const r = run(atomicity, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
  });

  it('names the txn, the log, the DSM and each participant when a client was told committed wrongly', () => {
    const obs = observations({
      txn: [txn({ state: 'aborted' })],
      participant: [part('rm', { state: 'aborted' }), part('billing', { state: 'aborted' })],
      dsm: [dsm(1, 'PENDING'), dsm(2, 'ABORTED')],
    });
    expect(found(run(atomicity, ops(invokeCreate(), okCreate()), obs))).toEqual([
      ['ok-not-committed', 't1', 'client was told committed but log aborted, DSM aborted, rm aborted, billing aborted'],
    ]);
  });

  it('names the participants that committed when a client was told it failed', () => {
    const r = run(atomicity, ops(invokeCreate(), failCreate()), committedRun().obs);
    expect(found(r)).toEqual([
      ['fail-but-committed', 't1', 'client was told it failed but rm committed, billing committed'],
    ]);
  });

  it('names the participant still prepared, and the one without a record of a commit', () => {
    const prepared = observations({ txn: [txn()], participant: [part('rm'), part('billing', { state: 'prepared' })] });
    expect(found(run(atomicity, timedOut(), prepared))).toContainEqual([
      'left-prepared',
      't1',
      'billing still prepared after the quiet window',
    ]);
    const lost = observations({ txn: [txn(), t2Log()], participant: [part('rm'), ...t2Parts()] });
    expect(found(run(atomicity, timedOut(), lost))).toEqual([
      ['partial-commit', 't1', 'rm committed but billing absent'],
      ['outcome-not-reached', 't1', 'billing has no record of committed t1'],
    ]);
  });
});
