// Proves that client requests are held against the transaction log: a committed transaction no request asked for, a
// request carried out as two transactions and an answer naming another request's transaction are each reported on a
// minimal run, naming the request's client ops, and the corrected twin passes.
import { describe, expect, it } from 'vitest';
import { requests } from '../requests.ts';
import { checkSafe } from '../result.ts';
import {
  committedRun,
  infoChange,
  infoCreate,
  invokeChange,
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

// What each rule needs, and the figures it reports (issue 30): a retried request is one request, a request without
// an id or a log without them is a missing source (never an alarm), and every count is exact.
describe('requests: sources, retries and counts', () => {
  const found = (r: ReturnType<typeof run>) => r.anomalies.map((a) => [a.type, a.key, a.ops, a.explanation]);

  it('counts a correct life exactly', () => {
    const { history, obs } = lifecycleRun();
    expect(run(requests, history, obs).stats).toEqual({
      requests: 3,
      txns: 3,
      invocations: 3,
      changes: 2,
      answers: 3,
      committed: 3,
      anomalies: {},
    });
  });

  it('takes a retried request id for one request, and does not demand an id once a client sent none', () => {
    const history = ops(
      invokeCreate(0),
      infoCreate(0),
      invokeCreate(0),
      okCreate(0, 't1'),
      invokeCreate(1, { subscriberId: 'sub2', trafficClass: 'voice', protocol: '2pc' }),
      infoCreate(1),
    );
    const obs = observations({ txn: [txn(), t2({ requestId: undefined })] });
    const r = run(requests, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ requests: 2, invocations: 3, changes: 0, answers: 1, txns: 2, committed: 2 });
  });

  it('names every op of a retried request a transaction did otherwise than asked', () => {
    const { history, obs } = lifecycleRun();
    const retried = ops(
      ...history.slice(0, 4).map(({ index: _, time: __, ...o }) => o),
      invokeChange('release-session', 0, { requestId: 'r3', sessionId: 's1' }),
      infoChange('release-session', 0),
      ...history.slice(4).map(({ index: _, time: __, ...o }) => o),
    );
    Object.assign(obs.txn[2]!, { action: 'modify', sessionId: 's2' });
    const r = run(requests, retried, obs);
    expect(found(r)).toEqual([
      [
        'txn-not-as-requested',
        't3',
        [4, 5, 6, 7],
        "request r3: asked to release, the log's t3 is a modify; asked about session s1, t3 changed session s2",
      ],
    ]);
    expect(r.anomalies[0]?.details).toEqual({ asked: 'release', did: 'modify' });
    expect(r.stats).toMatchObject({ requests: 4, invocations: 4, changes: 3, answers: 3 });
  });

  it('does not judge what an aborted transaction did, a session a create names, or a change naming none', () => {
    const aborted = lifecycleRun();
    Object.assign(aborted.obs.txn[2]!, { action: 'modify', sessionId: 's2', state: 'aborted' });
    expect(run(requests, aborted.history, aborted.obs).anomalies).toEqual([]);

    const create = ops(invokeCreate(0, { ...asking('r1'), sessionId: 's9' }), okCreate(0, 't1'));
    expect(run(requests, create, observations({ txn: [txn()] })).anomalies).toEqual([]);

    const unnamed = lifecycleRun();
    unnamed.history[2]!.value = { requestId: 'r2', trafficClass: 'video', cells: ['cell-2'] };
    expect(run(requests, unnamed.history, unnamed.obs).anomalies).toEqual([]);
  });

  it('reports two transactions for a request no client op carries, with no ops to name', () => {
    const obs = observations({ txn: [txn({ requestId: 'r9' }), t2({ requestId: 'r9' })] });
    expect(found(run(requests, ops(invokeCreate(), infoCreate()), obs))).toEqual([
      ['txn-without-request', 't1', [], 'committed for request r9, which no client op carries'],
      ['txn-without-request', 't2', [], 'committed for request r9, which no client op carries'],
      ['request-with-two-txns', 'r9', [], '2 transactions for one request: t1 committed, t2 committed'],
    ]);
  });

  it('takes two rows of one transaction for one transaction, and rows without request ids for no request', () => {
    const rows = observations({ txn: [txn({ state: 'prepared' }), txn()] });
    const r = run(requests, ops(invokeCreate(), infoCreate()), rows);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ txns: 2, committed: 1 });

    const unkeyed = { subscriberId: 'sub1', trafficClass: 'voice', protocol: '2pc' };
    const older = ops(invokeCreate(0, unkeyed), invokeCreate(1, unkeyed), infoCreate(0), infoCreate(1));
    const obs = observations({ txn: [txn({ requestId: undefined }), t2({ requestId: undefined })] });
    const s = run(requests, older, obs);
    expect(s.anomalies).toEqual([]);
    expect(s.stats).toMatchObject({ requests: 0, invocations: 2, txns: 2, committed: 2 });
  });

  it('counts as answers only completed ops naming a logged transaction, and judges only keyed rows', () => {
    // An op still open at the end; an answer naming a txn the log lacks; an answer naming a row with no request id.
    const history = ops(
      invokeCreate(0),
      invokeCreate(1, asking('r2')),
      okCreate(1, 't9'),
      invokeCreate(2, asking('r3')),
      okCreate(2, 't3'),
    );
    const obs = observations({
      txn: [txn(), txn({ txnId: 't3', sessionId: 's3', requestId: undefined, state: 'aborted' })],
    });
    const r = run(requests, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ requests: 3, invocations: 3, answers: 1, txns: 2 });
  });

  it('says unknown, naming what it counts, when there was nothing to hold against each other', () => {
    const r = checkSafe(requests).check([], observations({}), {});
    expect(r.valid).toBe('unknown');
    expect(r.error).toBe('examined nothing: 0 requests, 0 txns');
    expect(requests.name).toBe('requests');
  });
});
