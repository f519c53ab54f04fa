// Proves that client requests are held against the transaction log: a committed transaction no request asked for, a
// request carried out as two transactions and an answer naming another request's transaction are each reported on a
// minimal run, naming the request's client ops, and the corrected twin passes.
import { describe, expect, it } from 'vitest';
import { requests } from '../requests.ts';
import {
  committedRun,
  infoCreate,
  invokeCreate,
  observations,
  okCreate,
  ops,
  run,
  type TwinCase,
  twinTests,
  txn,
  types,
} from './fixtures.ts';

const asking = (requestId: string) => ({ requestId, subscriberId: 'sub1', trafficClass: 'voice', protocol: '2pc' });
/** Requests r1 (process 0) and r2 (process 1), both timed out: only the log says what became of them. */
const twoTimedOut = () => ops(invokeCreate(0), invokeCreate(1, asking('r2')), infoCreate(0), infoCreate(1));
const t2 = (o = {}) => txn({ txnId: 't2', sessionId: 's2', requestId: 'r2', ...o });

const cases: TwinCase[] = [
  {
    type: 'txn-without-request',
    key: 't1',
    explains: 'committed for request r9, which no client op carries',
    build: (broken) => ({
      history: ops(invokeCreate(), infoCreate()),
      obs: observations({ txn: [txn({ requestId: broken ? 'r9' : 'r1' })] }),
    }),
  },
  {
    type: 'txn-without-request',
    key: 't2',
    explains: 'committed without a request id, though every client request had one',
    build: (broken) => ({
      history: twoTimedOut(),
      obs: observations({ txn: [txn(), t2({ requestId: broken ? undefined : 'r2' })] }),
    }),
  },
  {
    type: 'request-with-two-txns',
    key: 'r1',
    explains: '2 transactions for one request: t1 aborted, t2 committed',
    ops: [0, 2],
    build: (broken) => ({
      history: twoTimedOut(),
      obs: observations({ txn: [txn({ state: 'aborted' }), t2({ requestId: broken ? 'r1' : 'r2' })] }),
    }),
  },
  {
    type: 'answer-for-other-request',
    key: 't2',
    explains: 'request r1 was answered with t2, which the log has for request r2',
    ops: [0, 2],
    build: (broken) => ({
      history: ops(invokeCreate(0), invokeCreate(1, asking('r2')), okCreate(0, broken ? 't2' : 't1'), infoCreate(1)),
      obs: observations({ txn: [txn(), t2()] }),
    }),
  },
];

describe('requests', () => {
  twinTests(requests, cases);

  it('accepts the baseline and counts the requests and transactions it held against each other', () => {
    const { history, obs } = committedRun();
    const r = run(requests, history, obs);
    expect(r.valid).toBe(true);
    expect(r.stats).toMatchObject({ requests: 1, txns: 1, invocations: 1, answers: 1 });
  });

  it('lets an aborted transaction without a request id pass: only a commit nobody asked for is an anomaly', () => {
    const obs = observations({ txn: [txn(), t2({ requestId: undefined, state: 'aborted' })] });
    expect(run(requests, twoTimedOut(), obs).valid).toBe(true);
  });

  it('does not demand request ids of a log that records none (an older run: the source is missing)', () => {
    const obs = observations({ txn: [txn({ requestId: undefined })] });
    expect(run(requests, ops(invokeCreate(), infoCreate()), obs).valid).toBe(true);
  });

  it('names every transaction of a request carried out twice', () => {
    const obs = observations({ txn: [txn(), t2({ requestId: 'r1' })] });
    const r = run(requests, twoTimedOut(), obs);
    expect(types(r)).toEqual(['request-with-two-txns']);
    expect(r.anomalies[0]?.details).toEqual({ txns: ['t1', 't2'] });
    expect(r.anomalies[0]?.explanation).toBe('2 transactions for one request: t1 committed, t2 committed');
  });
});
