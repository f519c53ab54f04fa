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

const cases: TwinCase[] = [
  {
    type: 'partial-commit',
    key: 't1',
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
    ops: [0, 1],
    build: (broken) => ({
      history: ops(invokeCreate(), okCreate()),
      obs: observations({ txn: [txn()], participant: [part('rm'), part('billing', { vote: broken ? 'no' : 'yes' })] }),
    }),
  },
  {
    type: 'decision-mismatch',
    key: 't1',
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
    ops: [0, 1],
    build: (broken) => ({ history: ops(invokeCreate(), broken ? failCreate() : okCreate()), obs: committedRun().obs }),
  },
  {
    type: 'left-prepared',
    key: 't1',
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
];

describe('atomicity', () => {
  twinTests(atomicity, cases);

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
});
