// Proves each atomicity anomaly is reported with its type, transaction and client ops on a minimal history, and that
// the same history with the one fault corrected passes.
import { describe, expect, it } from 'vitest';
import type { HistoryOp } from '../../format/history.ts';
import { atomicity } from '../atomicity.ts';
import { checkSafe } from '../result.ts';
import {
  committedRun,
  dsm,
  failCreate,
  infoChange,
  infoCreate,
  invokeChange,
  invokeCreate,
  lifecycleRun,
  observations,
  okChange,
  okCreate,
  ops,
  part,
  run,
  type TwinCase,
  twinTests,
  txn,
} from './fixtures.ts';

const timedOut = () => ops(invokeCreate(), infoCreate());
const found = (r: ReturnType<typeof run>) => r.anomalies.map((a) => [a.type, a.key, a.explanation]);
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
    expect(found(run(atomicity, history, obs))).toEqual([
      ['decision-mismatch', 't1', 'committed without a logged decision (log prepared)'],
      [
        'ok-not-committed',
        't1',
        'client was told committed but log prepared, DSM committed, rm committed, billing committed',
      ],
    ]);
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

  it('reports a log that decided commit while every participant aborted', () => {
    const obs = observations({
      txn: [txn()],
      participant: [part('rm', { state: 'aborted' }), part('billing', { state: 'aborted' })],
    });
    expect(found(run(atomicity, timedOut(), obs))).toEqual([
      ['decision-mismatch', 't1', 'log committed but participants aborted'],
    ]);
  });

  it('reports a log that decided commit while one participant aborted and the other left no record', () => {
    const obs = observations({ txn: [txn()], participant: [part('rm', { state: 'aborted' })] });
    expect(found(run(atomicity, timedOut(), obs))).toEqual([
      ['decision-mismatch', 't1', 'log committed but rm aborted'],
    ]);
    // Its twin: the same participant still prepared is in doubt, not a contradiction of the log.
    const twin = observations({ txn: [txn()], participant: [part('rm', { state: 'prepared' })] });
    expect(found(run(atomicity, timedOut(), twin)).map(([type]) => type)).not.toContain('decision-mismatch');
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

/** Every field of every anomaly, in order: type, txn, ops cited, explanation. */
const all = (r: ReturnType<typeof run>) => r.anomalies.map((a) => [a.type, a.key, a.ops, a.explanation]);
/** t3 of session s3: a create no client asked for in this history. */
const t3Part = (participant: 'rm' | 'billing', o: Parameters<typeof part>[1] = {}) =>
  part(participant, { txnId: 't3', ...o });

describe('atomicity: a source the run did not collect', () => {
  it('accepts a clean commit its client was told of when no participant record was collected (was a false alarm)', () => {
    const { history, obs } = committedRun();
    obs.participant = [];
    const r = run(atomicity, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ txns: 1, participantOutcomes: 0, committed: 1 });
  });

  it('still holds an ok to the log and the DSM when no participant record was collected', () => {
    const { history, obs } = committedRun();
    obs.participant = [];
    obs.txn = [txn({ state: 'aborted' })];
    obs.dsm[2] = dsm(3, 'ABORTED');
    expect(all(run(atomicity, history, obs))).toEqual([
      [
        'ok-not-committed',
        't1',
        [0, 1],
        'client was told committed but log aborted, DSM aborted, rm absent, billing absent',
      ],
    ]);
  });

  it('judges no client when only the DSM was collected, and counts the txn as undecided', () => {
    const { history, obs } = committedRun();
    obs.txn = [];
    obs.participant = [];
    const r = run(atomicity, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toEqual({
      txns: 1,
      participantOutcomes: 0,
      committed: 0,
      aborted: 0,
      undecided: 1,
      byAction: { create: 1 },
      anomalies: {},
    });
  });

  it('holds a client to the DSM alone when neither the log nor any participant record was collected', () => {
    const { obs } = committedRun();
    obs.txn = [];
    obs.participant = [];
    expect(all(run(atomicity, ops(invokeCreate(), failCreate()), obs))).toEqual([
      ['fail-but-committed', 't1', [0, 1], 'client was told it failed but '],
    ]);
    obs.dsm[2] = dsm(3, 'ABORTED');
    expect(all(run(atomicity, ops(invokeCreate(), okCreate()), obs))).toEqual([
      ['ok-not-committed', 't1', [0, 1], 'client was told committed but log absent, DSM aborted, '],
    ]);
  });

  it('judges no client when no server-side source was collected at all', () => {
    for (const history of [ops(invokeCreate(), okCreate()), ops(invokeCreate(), failCreate())]) {
      const r = run(atomicity, history, observations({}));
      expect(r.anomalies).toEqual([]);
      expect(r.stats).toMatchObject({ txns: 1, participantOutcomes: 0, undecided: 1 });
    }
  });

  it('holds a failed client to the participants when no log was collected', () => {
    const { obs } = committedRun();
    obs.txn = [];
    expect(all(run(atomicity, ops(invokeCreate(), failCreate()), obs))).toEqual([
      ['fail-but-committed', 't1', [0, 1], 'client was told it failed but rm committed, billing committed'],
    ]);
  });

  it('reports a participant-only commit without every yes when no log was collected', () => {
    const obs = observations({ participant: [part('rm'), part('billing', { vote: 'no' })] });
    expect(all(run(atomicity, timedOut(), obs))).toEqual([
      ['commit-without-all-yes', 't1', [], 'committed although rm voted yes, billing voted no'],
    ]);
  });
});

describe('atomicity: participants and votes', () => {
  it('reports a participant left precommitted, alone', () => {
    const obs = observations({ txn: [txn()], participant: [part('rm'), part('billing', { state: 'precommitted' })] });
    expect(all(run(atomicity, timedOut(), obs))).toEqual([
      ['left-prepared', 't1', [0, 1], 'billing still precommitted after the quiet window'],
    ]);
  });

  it('names only the aborted in a partial commit, and the in-doubt third participant as left prepared', () => {
    const qos = { ...part('rm', { state: 'prepared' }), participant: 'qos' };
    const obs = observations({
      txn: [txn({ participants: ['rm', 'billing', 'qos'] })],
      participant: [part('rm'), part('billing', { state: 'aborted' }), qos],
    });
    expect(all(run(atomicity, timedOut(), obs))).toEqual([
      ['partial-commit', 't1', [0, 1], 'rm committed but billing aborted'],
      ['left-prepared', 't1', [0, 1], 'qos still prepared after the quiet window'],
    ]);
  });

  it('lists every participant that committed and every one that did not in a partial commit', () => {
    const qos = (state: 'committed' | 'aborted') => ({ ...part('rm', { state }), participant: 'qos' });
    const three = () =>
      txn({ participants: ['rm', 'billing', 'qos'], votes: { rm: 'yes', billing: 'yes', qos: 'yes' } });
    const twoCommitted = observations({
      txn: [three()],
      participant: [part('rm'), part('billing'), qos('aborted')],
    });
    expect(all(run(atomicity, timedOut(), twoCommitted))).toEqual([
      ['partial-commit', 't1', [0, 1], 'rm, billing committed but qos aborted'],
    ]);
    const twoNot = observations({
      txn: [three()],
      participant: [part('rm'), part('billing', { state: 'tombstone' }), qos('aborted')],
    });
    expect(all(run(atomicity, timedOut(), twoNot))).toEqual([
      ['partial-commit', 't1', [0, 1], 'rm committed but billing tombstone, qos aborted'],
    ]);
  });

  it('names the participant in the details of a left-prepared and of an outcome not reached', () => {
    const prepared = observations({ txn: [txn()], participant: [part('rm'), part('billing', { state: 'prepared' })] });
    expect(run(atomicity, timedOut(), prepared).anomalies.map((a) => [a.type, a.details])).toEqual([
      ['left-prepared', { participant: 'billing' }],
    ]);
    const lost = observations({ txn: [txn(), t2Log()], participant: [part('billing'), ...t2Parts()] });
    expect(run(atomicity, timedOut(), lost).anomalies.map((a) => [a.type, a.details])).toEqual([
      ['partial-commit', undefined],
      ['outcome-not-reached', { participant: 'rm' }],
    ]);
  });

  it('judges a participant by its last record of the txn: prepared, then committed, is committed', () => {
    const obs = observations({
      txn: [txn()],
      participant: [part('rm', { state: 'prepared', at: 250 }), part('billing'), part('rm')],
    });
    expect(all(run(atomicity, timedOut(), obs))).toEqual([]);
    const undone = observations({
      txn: [txn()],
      participant: [part('rm'), part('billing'), part('rm', { state: 'prepared', at: 350 })],
    });
    expect(all(run(atomicity, timedOut(), undone))).toEqual([
      ['left-prepared', 't1', [0, 1], 'rm still prepared after the quiet window'],
    ]);
  });

  it("accepts a yes on record from either side: the participant's alone, or the coordinator's alone", () => {
    const { vote: _, ...silent } = part('billing');
    const coordinatorOnly = observations({ txn: [txn()], participant: [part('rm'), silent] });
    expect(all(run(atomicity, timedOut(), coordinatorOnly))).toEqual([]);
    const participantsOnly = observations({
      txn: [txn({ votes: undefined })],
      participant: [part('rm'), part('billing')],
    });
    expect(all(run(atomicity, timedOut(), participantsOnly))).toEqual([]);
  });

  it('explains a commit without every yes from the participants when the log holds no votes', () => {
    const obs = observations({
      txn: [txn({ votes: undefined })],
      participant: [part('rm'), part('billing', { vote: 'no' })],
    });
    expect(all(run(atomicity, timedOut(), obs))).toEqual([
      ['commit-without-all-yes', 't1', [0, 1], 'committed although rm voted yes, billing voted no'],
    ]);
  });

  it('reports a logged commit without every yes when no participant record was collected', () => {
    const obs = observations({ txn: [txn({ votes: { rm: 'yes' } })] });
    expect(all(run(atomicity, timedOut(), obs))).toEqual([
      ['commit-without-all-yes', 't1', [0, 1], 'committed although rm voted yes, billing voted nothing'],
    ]);
  });

  it('reports a participant that committed an aborted txn without every yes, and the client told it failed', () => {
    const obs = observations({
      txn: [txn({ state: 'aborted', votes: { rm: 'yes', billing: 'no' } })],
      participant: [part('rm'), part('billing', { vote: 'no', state: 'aborted' })],
      dsm: [dsm(1, 'PENDING'), dsm(2, 'ABORTED')],
    });
    expect(all(run(atomicity, ops(invokeCreate(), failCreate()), obs))).toEqual([
      ['partial-commit', 't1', [0, 1], 'rm committed but billing aborted'],
      ['commit-without-all-yes', 't1', [0, 1], 'committed although rm voted yes/yes, billing voted no/no'],
      ['fail-but-committed', 't1', [0, 1], 'client was told it failed but rm committed, billing aborted'],
    ]);
  });
});

describe('atomicity: the logged decision against the DSM and the participants', () => {
  it('reports a DSM commit of a txn the log left prepared, alone, when no participant was collected', () => {
    const { obs } = committedRun();
    obs.txn = [txn({ state: 'prepared' })];
    obs.participant = [];
    expect(all(run(atomicity, timedOut(), obs))).toEqual([
      ['decision-mismatch', 't1', [0, 1], 'committed without a logged decision (log prepared)'],
    ]);
    expect(all(run(atomicity, ops(invokeCreate(), failCreate()), obs))).toEqual([
      ['decision-mismatch', 't1', [0, 1], 'committed without a logged decision (log prepared)'],
      ['fail-but-committed', 't1', [0, 1], 'client was told it failed but rm absent, billing absent'],
    ]);
  });

  it('gives every disagreement of the log in one explanation: with the DSM and with the participants', () => {
    const obs = observations({
      txn: [txn()],
      participant: [part('rm', { state: 'aborted' }), part('billing', { state: 'aborted' })],
      dsm: [dsm(1, 'PENDING'), dsm(2, 'ABORTED')],
    });
    expect(all(run(atomicity, timedOut(), obs))).toEqual([
      ['decision-mismatch', 't1', [0, 1], 'log committed but DSM aborted; log committed but participants aborted'],
    ]);
  });

  it('reports participants that all committed a txn the log left prepared, when no DSM was collected', () => {
    const { obs } = committedRun();
    obs.txn = [txn({ state: 'prepared' })];
    obs.dsm = [];
    expect(all(run(atomicity, timedOut(), obs))).toEqual([
      ['decision-mismatch', 't1', [0, 1], 'committed without a logged decision (log prepared)'],
    ]);
  });

  it('reports a commit that only participants hold, the log having no row for it, and its client told it failed', () => {
    // The log has t1 and t2; t3 (its own session) is in no row. rm's records of t3 go prepared, then committed.
    const history = ops(
      invokeCreate(0, { requestId: 'r3', subscriberId: 'sub3' }),
      failCreate(0, { sessionId: 's3', txnId: 't3', outcome: 'aborted', status: 409 }),
    );
    const obs = observations({
      txn: [txn(), t2Log()],
      participant: [
        part('rm'),
        part('billing'),
        ...t2Parts(),
        t3Part('rm', { state: 'prepared', at: 250 }),
        t3Part('billing'),
        t3Part('rm'),
      ],
    });
    const r = run(atomicity, history, obs);
    expect(all(r)).toEqual([
      ['decision-mismatch', 't3', [0, 1], 'committed without a logged decision (log has no row)'],
      ['fail-but-committed', 't3', [0, 1], 'client was told it failed but rm committed, billing committed'],
    ]);
    expect(r.stats).toMatchObject({ txns: 3, participantOutcomes: 4, committed: 2, aborted: 0, undecided: 1 });
  });

  it('reports an ok for a txn only its client knows, where the log and participants were collected', () => {
    const { obs } = committedRun();
    const history = ops(invokeCreate(0), okCreate(0), invokeCreate(1, { requestId: 'r9' }), okCreate(1, 't9'));
    const r = run(atomicity, history, obs);
    expect(all(r)).toEqual([
      ['ok-not-committed', 't9', [2, 3], 'client was told committed but log absent, DSM undecided, '],
    ]);
    expect(r.stats).toMatchObject({ txns: 2, committed: 1, undecided: 1, byAction: { create: 2 } });
  });

  it('says only that the DSM disagrees when the DSM aborted what the log committed, whatever its status', () => {
    const { obs } = committedRun();
    obs.dsm[2] = dsm(3, 'ABORTED', { status: 'ABORTED' });
    expect(all(run(atomicity, ops(invokeCreate(), okCreate()), obs))).toEqual([
      ['decision-mismatch', 't1', [0, 1], 'log committed but DSM aborted'],
      [
        'ok-not-committed',
        't1',
        [0, 1],
        'client was told committed but log committed, DSM aborted, rm committed, billing committed',
      ],
    ]);
  });

  it('owes no session status while the log and the DSM are both undecided', () => {
    const obs = observations({
      txn: [txn({ state: 'prepared' })],
      dsm: [dsm(1, 'PENDING', { status: 'PENDING' }), dsm(2, 'PREPARED', { status: 'PREPARED' })],
    });
    expect(all(run(atomicity, timedOut(), obs))).toEqual([]);
  });

  const abortedCreate = (status: 'ABORTED' | 'COMMITTED') =>
    observations({
      txn: [txn({ state: 'aborted', votes: { rm: 'no', billing: 'no' } })],
      participant: [part('rm', { vote: 'no', state: 'aborted' }), part('billing', { vote: 'no', state: 'aborted' })],
      dsm: [dsm(1, 'PENDING', { status: 'PENDING' }), dsm(2, 'ABORTED', { status })],
    });

  it('reports an aborted create whose last DSM write leaves the session active, not aborted', () => {
    const history = ops(invokeCreate(), failCreate());
    expect(all(run(atomicity, history, abortedCreate('ABORTED')))).toEqual([]);
    expect(all(run(atomicity, history, abortedCreate('COMMITTED')))).toEqual([
      ['decision-mismatch', 't1', [0, 1], "log aborted create but the DSM's session status is COMMITTED, not ABORTED"],
    ]);
  });

  it('reports an aborted release whose last DSM write leaves the session released, not active', () => {
    const { history, obs } = lifecycleRun();
    obs.txn[2]!.state = 'aborted';
    obs.txn[2]!.votes = { rm: 'yes', billing: 'no' };
    Object.assign(obs.participant[4]!, { state: 'aborted', vote: 'no' });
    Object.assign(obs.participant[5]!, { state: 'aborted' });
    obs.dsm[8] = dsm(9, 'ABORTED', { txnId: 't3', status: 'COMMITTED', revision: 2 });
    history[5] = {
      ...history[5]!,
      type: 'fail',
      value: { sessionId: 's1', txnId: 't3', outcome: 'aborted', status: 409 },
    };
    expect(all(run(atomicity, history, obs))).toEqual([]);
    obs.dsm[8]!.status = 'RELEASED';
    expect(all(run(atomicity, history, obs))).toEqual([
      [
        'decision-mismatch',
        't3',
        [4, 5],
        "log aborted release but the DSM's session status is RELEASED, not COMMITTED",
      ],
    ]);
  });

  it('expects nothing of participants when the log names none, committed or aborted', () => {
    const none = (state: 'committed' | 'aborted') =>
      observations({ txn: [txn({ state, participants: [], votes: {} }), t2Log()], participant: t2Parts() });
    for (const state of ['committed', 'aborted'] as const) {
      const r = run(atomicity, timedOut(), none(state));
      expect(all(r)).toEqual([]);
      expect(r.stats).toMatchObject({ participantOutcomes: 2 });
    }
    // No one committed it, so an ok is not backed by a commit everywhere.
    expect(all(run(atomicity, ops(invokeCreate(), okCreate()), none('committed')))).toEqual([
      ['ok-not-committed', 't1', [0, 1], 'client was told committed but log committed, DSM undecided, '],
    ]);
  });

  it('reports a fail for a txn the log committed, when neither participants nor DSM were collected', () => {
    const obs = observations({ txn: [txn()] });
    expect(all(run(atomicity, ops(invokeCreate(), failCreate()), obs))).toEqual([
      ['fail-but-committed', 't1', [0, 1], 'client was told it failed but rm absent, billing absent'],
    ]);
  });
});

describe('atomicity: a change that never claimed the session', () => {
  /** The log's t2 (a modify of s1) with `o`; t1's DSM writes are there, so the DSM was collected. */
  const change = (
    o: Parameters<typeof txn>[0],
    parts: ReturnType<typeof part>[] = [],
    dsmWrites = [] as ReturnType<typeof dsm>[],
  ) =>
    observations({
      txn: [txn({ txnId: 't2', requestId: 'r2', action: 'modify', ...o })],
      participant: parts,
      dsm: [dsm(1, 'PENDING'), dsm(2, 'COMMITTED'), ...dsmWrites],
    });
  const tried = (): HistoryOp[] => ops(invokeChange('modify-session'), infoChange('modify-session'));
  const mismatches = (r: ReturnType<typeof run>) => all(r).filter(([type]) => type === 'decision-mismatch');

  it('excuses an aborted modify with no DSM write that no participant prepared', () => {
    const tomb = [t2p('rm', { state: 'tombstone', vote: undefined }), t2p('billing', { state: 'aborted', vote: 'no' })];
    expect(all(run(atomicity, tried(), change({ state: 'aborted' }, tomb)))).toEqual([]);
  });

  it('never excuses a create: an aborted create with no DSM write is not decided there', () => {
    const obs = observations({
      txn: [
        txn({ txnId: 't2', requestId: 'r2', sessionId: 's2', state: 'aborted', votes: { rm: 'no', billing: 'no' } }),
      ],
      participant: [t2p('rm', { state: 'tombstone', vote: 'no' }), t2p('billing', { state: 'tombstone', vote: 'no' })],
      dsm: [dsm(1, 'PENDING'), dsm(2, 'COMMITTED')],
    });
    expect(mismatches(run(atomicity, [], obs))).toEqual([
      ['decision-mismatch', 't2', [], 'log aborted but the DSM record is not decided'],
    ]);
  });

  it('never excuses a commit: a committed modify with no DSM write is not decided there', () => {
    expect(all(run(atomicity, tried(), change({ state: 'committed' })))).toEqual([
      ['decision-mismatch', 't2', [0, 1], 'log committed but the DSM record is not decided'],
    ]);
  });

  it('does not excuse an aborted modify whose DSM write is there but undecided', () => {
    const tomb = [
      t2p('rm', { state: 'tombstone', vote: undefined }),
      t2p('billing', { state: 'tombstone', vote: undefined }),
    ];
    const pending = [dsm(3, 'PENDING', { txnId: 't2' })];
    expect(mismatches(run(atomicity, tried(), change({ state: 'aborted' }, tomb, pending)))).toEqual([
      ['decision-mismatch', 't2', [0, 1], 'log aborted but the DSM record is not decided'],
    ]);
  });

  it.each(['prepared', 'precommitted', 'committed'] as const)(
    'does not excuse an aborted modify a participant %s without a recorded vote',
    (state) => {
      const parts = [t2p('rm', { state, vote: undefined }), t2p('billing', { state: 'tombstone', vote: undefined })];
      expect(mismatches(run(atomicity, tried(), change({ state: 'aborted' }, parts)))).toEqual([
        ['decision-mismatch', 't2', [0, 1], 'log aborted but the DSM record is not decided'],
      ]);
    },
  );
});

describe('atomicity: which DSM write decides a txn', () => {
  it('takes the highest version, whatever order the writes were recorded in', () => {
    const { history, obs } = committedRun();
    obs.dsm = [dsm(3, 'COMMITTED'), dsm(1, 'PENDING'), dsm(2, 'PREPARED')];
    expect(all(run(atomicity, history, obs))).toEqual([]);
    obs.dsm = [dsm(2, 'PREPARED'), dsm(3, 'ABORTED'), dsm(1, 'PENDING')];
    expect(all(run(atomicity, timedOut(), obs))).toEqual([
      ['decision-mismatch', 't1', [0, 1], 'log committed but DSM aborted'],
    ]);
  });

  it('ignores a DSM write naming a txn no other source knows', () => {
    const { history, obs } = committedRun();
    obs.dsm.push(dsm(1, 'ABORTED', { txnId: 't9', sessionId: 's9' }));
    const r = run(atomicity, history, obs);
    expect(all(r)).toEqual([]);
    expect(r.stats).toMatchObject({ txns: 1 });
  });

  it("credits an unnamed write to its session's create when the log's one row for it says create", () => {
    const obs = (state: 'COMMITTED' | 'ABORTED') =>
      observations({
        txn: [txn({ action: 'create' })],
        participant: [part('rm'), part('billing')],
        dsm: [dsm(1, 'PENDING', { txnId: undefined }), dsm(2, state, { txnId: undefined })],
      });
    expect(all(run(atomicity, timedOut(), obs('COMMITTED')))).toEqual([]);
    expect(all(run(atomicity, timedOut(), obs('ABORTED')))).toEqual([
      ['decision-mismatch', 't1', [0, 1], 'log committed but DSM aborted'],
    ]);
  });

  it("credits an unnamed write to no one when the session's one logged row is a change", () => {
    const obs = observations({
      txn: [txn({ txnId: 't2', requestId: 'r2', action: 'modify' })],
      participant: t2Parts(),
      dsm: [
        dsm(5, 'PENDING', { txnId: 't2', status: 'COMMITTED' }),
        dsm(6, 'COMMITTED', { txnId: 't2', status: 'COMMITTED' }),
        dsm(7, 'ABORTED', { txnId: undefined, status: 'ABORTED' }),
      ],
    });
    const r = run(atomicity, ops(invokeChange('modify-session'), infoChange('modify-session')), obs);
    expect(all(r)).toEqual([]);
    expect(r.stats).toMatchObject({ txns: 1, committed: 1, byAction: { modify: 1 } });
  });
});

describe('atomicity: outcomes reached, counts and identity', () => {
  it('holds no participant to an undecided txn, and counts none judged', () => {
    const obs = observations({ txn: [txn({ state: 'prepared' }), t2Log()], participant: t2Parts() });
    const r = run(atomicity, timedOut(), obs);
    expect(all(r)).toEqual([]);
    expect(r.stats).toMatchObject({ participantOutcomes: 2, committed: 1, aborted: 0, undecided: 1 });
  });

  it('lets a collected participant lack a record of an abort whose log holds no votes', () => {
    const obs = observations({
      txn: [txn({ state: 'aborted', votes: undefined }), t2Log()],
      participant: [part('billing', { vote: 'no', state: 'tombstone' }), ...t2Parts()],
    });
    const r = run(atomicity, ops(invokeCreate(), failCreate()), obs);
    expect(all(r)).toEqual([]);
    expect(r.stats).toMatchObject({ participantOutcomes: 4, committed: 1, aborted: 1, undecided: 0 });
  });

  it('reads a leftover prepared transaction named by its gid alone as a prepare of that txn', () => {
    const obs = observations({
      txn: [txn({ state: 'aborted', votes: { billing: 'no' } }), t2Log()],
      participant: [part('billing', { vote: 'no', state: 'tombstone' }), ...t2Parts()],
      prepared: [{ kind: 'prepared', participant: 'rm', gid: 't1', observedAt: 900 }],
    });
    expect(all(run(atomicity, ops(invokeCreate(), failCreate()), obs))).toEqual([
      ['outcome-not-reached', 't1', [0, 1], 'rm prepared aborted t1 (voted yes) but has no abort or tombstone record'],
    ]);
  });

  it("counts transactions by what they do: the log's word, else a participant's, else the client's op, else create", () => {
    const history = ops(
      invokeChange('modify-session', 0, { requestId: 'r5', sessionId: 's1' }),
      okChange('modify-session', 0, 't5'),
      invokeChange('release-session', 0, { requestId: 'r6', sessionId: 's1' }),
      okChange('release-session', 0, 't6'),
      invokeCreate(1, { requestId: 'r7' }),
      okCreate(1, 't7'),
    );
    const obs = observations({
      txn: [txn({ action: 'release' }), t2Log()],
      participant: [
        part('rm', { action: undefined }),
        part('billing', { action: undefined }),
        part('rm', { txnId: 't4' }),
        part('billing', { txnId: 't4', action: 'modify' }),
        ...t2Parts(),
      ],
    });
    const r = run(atomicity, history, obs);
    expect(r.stats.byAction).toEqual({ release: 2, create: 2, modify: 2 });
    expect(r.stats).toMatchObject({ txns: 6, committed: 2, aborted: 0, undecided: 4 });
  });

  it('reports its name, what its coverage counts, and every stat exactly', () => {
    expect(atomicity.name).toBe('atomicity');
    expect(atomicity.coverage).toEqual(['txns', 'participantOutcomes']);
    const { history, obs } = lifecycleRun();
    obs.txn[1]!.state = 'aborted';
    obs.txn.push(txn({ txnId: 't4', sessionId: 's4', requestId: 'r4', state: 'prepared' }));
    const r = checkSafe(atomicity).check(history, obs, {});
    expect(r.stats).toEqual({
      txns: 4,
      participantOutcomes: 6,
      committed: 2,
      aborted: 1,
      undecided: 1,
      byAction: { create: 2, modify: 1, release: 1 },
      anomalies: r.stats.anomalies,
    });
    expect(r.coverage).toEqual({ txns: 4, participantOutcomes: 6 });
  });
});

function t2p(participant: 'rm' | 'billing', o: Parameters<typeof part>[1] = {}) {
  return part(participant, { txnId: 't2', ...o });
}
