// Proves that client requests are held against the transaction log: a committed transaction no request asked for, a
// request carried out as two transactions and an answer naming another request's transaction are each reported on a
// minimal run, naming the request's client ops, and the corrected twin passes.
import { describe, expect, it } from 'vitest';
import { requests } from '../requests.ts';
import {
  committedRun,
  infoCreate,
  invokeCreate,
  lifecycleRun,
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

// The session's life (issue 22): t1 creates s1 (request r1), t2 modifies it (r2), t3 releases it (r3). Each test
// breaks one thing the log must agree with the clients on, and expects its anomaly naming the request's ops.
describe('requests: modifies and releases', () => {
  const found = (r: ReturnType<typeof run>) => r.anomalies.map((a) => [a.type, a.key, a.ops, a.explanation]);

  it('accepts a correct life, counting the change requests among the requests', () => {
    const { history, obs } = lifecycleRun();
    const r = run(requests, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ requests: 3, txns: 3, invocations: 3, changes: 2, answers: 3 });
  });

  it('reports a committed modify that no client asked for (the one modify asked for timed out)', () => {
    const { history, obs } = lifecycleRun();
    Object.assign(history[3]!, { type: 'info', value: { status: 504 }, error: 'timeout' });
    obs.txn[1]!.requestId = 'r9';
    expect(found(run(requests, history, obs))).toEqual([
      ['txn-without-request', 't2', [], 'committed for request r9, which no client op carries'],
    ]);
  });

  it('reports a modify asked for once and carried out twice', () => {
    const { history, obs } = lifecycleRun();
    obs.txn.push(txn({ txnId: 't4', requestId: 'r2', action: 'modify', trafficClass: 'video' }));
    expect(found(run(requests, history, obs))).toEqual([
      ['request-with-two-txns', 'r2', [2, 3], '2 transactions for one request: t2 committed, t4 committed'],
    ]);
  });

  it('reports a release request carried out as a modify', () => {
    const { history, obs } = lifecycleRun();
    obs.txn[2]!.action = 'modify';
    expect(found(run(requests, history, obs))).toEqual([
      ['txn-not-as-requested', 't3', [4, 5], "request r3: asked to release, the log's t3 is a modify"],
    ]);
  });

  it('reports a modify carried out on another session than the one its request named', () => {
    const { history, obs } = lifecycleRun();
    obs.txn[1]!.sessionId = 's2';
    expect(found(run(requests, history, obs))).toEqual([
      ['txn-not-as-requested', 't2', [2, 3], 'request r2: asked about session s1, t2 changed session s2'],
    ]);
  });

  it('does not judge the kind of a row that does not say it (a log written before sessions could change)', () => {
    const { history, obs } = lifecycleRun();
    obs.txn[2]!.action = undefined;
    expect(run(requests, history, obs).anomalies).toEqual([]);
  });

  it("reports a release answered with the modify's transaction", () => {
    const { history, obs } = lifecycleRun();
    history[5]!.value = { sessionId: 's1', txnId: 't2', outcome: 'committed', kind: 'release', revision: 2 };
    expect(found(run(requests, history, obs))).toEqual([
      ['answer-for-other-request', 't2', [4, 5], 'request r3 was answered with t2, which the log has for request r2'],
    ]);
  });
});
