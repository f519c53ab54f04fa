// Proves how client ops are read and linked to the transactions the servers logged: by the txn id the server answered
// with, else by the client's request id against the log; retries of one request land on one transaction in invocation
// order; an op that never completed is still linked by its request id; what cannot be linked is listed, not guessed.
import { describe, expect, it } from 'vitest';
import { SESSION_F } from '../../format/history.ts';
import {
  type ClientOp,
  createSessionOps,
  linkClientOps,
  opIndices,
  sessionRequest,
  sessionResult,
  txnOps,
} from '../sessions.ts';
import {
  failChange,
  failCreate,
  infoChange,
  infoCreate,
  invokeChange,
  invokeCreate,
  observations,
  okChange,
  okCreate,
  ops,
  txn,
} from './fixtures.ts';

const ask = (requestId?: string) => ({ subscriberId: 'sub1', ...(requestId ? { requestId } : {}) });
const links = (l: ReturnType<typeof linkClientOps>) => ({
  byTxn: Object.fromEntries([...l.byTxn].map(([id, list]) => [id, list.map(opIndices)])),
  unlinked: l.unlinked.map(opIndices),
});

describe('sessions: reading op values', () => {
  it('keeps the fields of the right type and drops the rest', () => {
    expect(
      sessionRequest({ requestId: 'r1', subscriberId: 7, trafficClass: 'voice', protocol: '3pc', cells: [1, 'c2'] }),
    ).toEqual({ requestId: 'r1', trafficClass: 'voice', protocol: '3pc', cells: ['1', 'c2'] });
    expect(sessionRequest(null)).toEqual({});
    expect(sessionRequest(['r1'])).toEqual({});
    expect(
      sessionResult({ sessionId: 's1', txnId: 't1', outcome: 'aborted', reason: 'no-capacity', status: 409 }),
    ).toEqual({ sessionId: 's1', txnId: 't1', outcome: 'aborted', reason: 'no-capacity', status: 409 });
    expect(sessionResult({ txnId: 1, status: '504' })).toEqual({});
  });

  it('reads every field of a request and a result, and makes no key for a field that is absent or mistyped', () => {
    const request = {
      requestId: 'r1',
      subscriberId: 'sub1',
      trafficClass: 'voice',
      protocol: '2pc',
      cells: ['c1'],
      sessionId: 's1',
      ifMatch: 3,
    };
    expect(sessionRequest({ ...request, extra: 1 })).toStrictEqual(request);
    expect(sessionRequest({ requestId: 'r1' })).toStrictEqual({ requestId: 'r1' });
    expect(sessionRequest({ sessionId: 1, ifMatch: '3', cells: 'c1', protocol: null })).toStrictEqual({});
    expect(sessionRequest('a string')).toStrictEqual({});
    const result = {
      sessionId: 's1',
      txnId: 't2',
      outcome: 'aborted',
      reason: 'not_active',
      code: 'not_active',
      status: 409,
      revision: 4,
    };
    expect(sessionResult({ ...result, kind: 'modify' })).toStrictEqual(result);
    expect(sessionResult({ status: 412 })).toStrictEqual({ status: 412 });
    expect(sessionResult({ code: 412, revision: '4', reason: {} })).toStrictEqual({});
    expect(sessionResult(null)).toStrictEqual({});
  });

  it('lists every create-session op with how it ended, ignoring other ops', () => {
    const history = ops(
      invokeCreate(0),
      invokeCreate(1),
      { type: 'invoke', process: 2, f: 'read-totals' },
      okCreate(0),
      failCreate(1),
      { type: 'ok', process: 2, f: 'read-totals' },
      invokeCreate(0),
      infoCreate(0),
      invokeCreate(3),
    );
    expect(createSessionOps(history)).toEqual<ClientOp[]>([
      { f: SESSION_F.create, invoke: 0, completion: 3, type: 'ok' },
      { f: SESSION_F.create, invoke: 1, completion: 4, type: 'fail' },
      { f: SESSION_F.create, invoke: 6, completion: 7, type: 'info' },
      { f: SESSION_F.create, invoke: 8, completion: -1, type: 'open' },
    ]);
    expect(opIndices({ f: SESSION_F.create, invoke: 8, completion: -1, type: 'open' })).toEqual([8]);
    expect(opIndices({ f: SESSION_F.create, invoke: 0, completion: 3, type: 'ok' })).toEqual([0, 3]);
  });
});

describe('sessions: linking client ops to transactions', () => {
  it('links by the answered txn id, even when the request id names another logged txn', () => {
    const history = ops(invokeCreate(0, ask('r2')), okCreate(0, 't1'));
    const obs = observations({ txn: [txn(), txn({ txnId: 't2', requestId: 'r2' })] });
    expect(links(linkClientOps(history, obs))).toEqual({ byTxn: { t1: [[0, 1]] }, unlinked: [] });
  });

  it('links a failure or timeout without a txn id through its request id in the log', () => {
    const history = ops(
      invokeCreate(0, ask('r1')),
      failCreate(0, { status: 503, reason: 'not_leader' }),
      invokeCreate(1, ask('r2')),
      infoCreate(1),
    );
    const obs = observations({ txn: [txn(), txn({ txnId: 't2', requestId: 'r2' })] });
    expect(links(linkClientOps(history, obs))).toEqual({ byTxn: { t1: [[0, 1]], t2: [[2, 3]] }, unlinked: [] });
  });

  it('puts the retries of one request on its one transaction, in invocation order', () => {
    // The first attempt timed out; the retry, with the same request id, was answered with the txn.
    const history = ops(invokeCreate(0, ask('r1')), infoCreate(0), invokeCreate(1, ask('r1')), okCreate(1, 't1'));
    const obs = observations({ txn: [txn()] });
    expect(links(linkClientOps(history, obs))).toEqual({
      byTxn: {
        t1: [
          [0, 1],
          [2, 3],
        ],
      },
      unlinked: [],
    });
    // Two unanswered attempts both link through the log.
    const both = ops(invokeCreate(0, ask('r1')), infoCreate(0), invokeCreate(1, ask('r1')), infoCreate(1));
    expect(links(linkClientOps(both, obs))).toEqual({
      byTxn: {
        t1: [
          [0, 1],
          [2, 3],
        ],
      },
      unlinked: [],
    });
  });

  it('links an op that never completed by its request id, citing only its invocation', () => {
    const history = ops(invokeCreate(0, ask('r1')));
    const l = linkClientOps(history, observations({ txn: [txn()] }));
    expect(l.byTxn.get('t1')).toEqual([{ f: SESSION_F.create, invoke: 0, completion: -1, type: 'open' }]);
    expect(links(l)).toEqual({ byTxn: { t1: [[0]] }, unlinked: [] });
  });

  it('leaves unlinked an op with no txn id and no request id, or a request id the log does not have', () => {
    const history = ops(invokeCreate(0, ask()), infoCreate(0), invokeCreate(1, ask('r9')), infoCreate(1));
    const obs = observations({ txn: [txn({ requestId: undefined }), txn({ txnId: 't2', requestId: 'r2' })] });
    expect(links(linkClientOps(history, obs))).toEqual({
      byTxn: {},
      unlinked: [
        [0, 1],
        [2, 3],
      ],
    });
    expect(links(linkClientOps(history, observations({})))).toEqual({
      byTxn: {},
      unlinked: [
        [0, 1],
        [2, 3],
      ],
    });
  });

  it('links a request id to the first logged txn that carries it', () => {
    const history = ops(invokeCreate(0, ask('r1')), infoCreate(0));
    const obs = observations({ txn: [txn({ txnId: 't1' }), txn({ txnId: 't1-again' })] });
    expect(links(linkClientOps(history, obs))).toEqual({ byTxn: { t1: [[0, 1]] }, unlinked: [] });
  });

  it('lists create, modify and release ops as transactions, in invocation order, and no read', () => {
    const history = ops(
      invokeCreate(0),
      okCreate(0),
      { type: 'invoke', process: 1, f: SESSION_F.read, value: { sessionId: 's1' } },
      invokeChange('modify-session', 0),
      { type: 'ok', process: 1, f: SESSION_F.read, value: { sessionId: 's1', txnId: 't1' } },
      failChange('modify-session', 0),
      invokeChange('release-session', 0, { requestId: 'r3', sessionId: 's1' }),
      infoChange('release-session', 0),
    );
    expect(txnOps(history)).toEqual<ClientOp[]>([
      { f: SESSION_F.create, invoke: 0, completion: 1, type: 'ok' },
      { f: SESSION_F.modify, invoke: 3, completion: 5, type: 'fail' },
      { f: SESSION_F.release, invoke: 6, completion: 7, type: 'info' },
    ]);
    expect(createSessionOps(history).map(opIndices)).toEqual([[0, 1]]);
  });

  it("links a session's changes by their answered txn ids, and a timed-out release through the log", () => {
    const history = ops(
      invokeCreate(0, ask('r1')),
      okCreate(0, 't1'),
      invokeChange('modify-session', 0),
      okChange('modify-session', 0, 't2'),
      invokeChange('release-session', 0, { requestId: 'r3', sessionId: 's1' }),
      infoChange('release-session', 0),
    );
    const obs = observations({ txn: [txn(), txn({ txnId: 't3', requestId: 'r3', action: 'release' })] });
    expect(links(linkClientOps(history, obs))).toEqual({
      byTxn: { t1: [[0, 1]], t2: [[2, 3]], t3: [[4, 5]] },
      unlinked: [],
    });
  });

  it("sorts a txn's ops by invocation when an earlier attempt is linked through the log after a later answered one", () => {
    // Three attempts of r1: the first and third timed out, the second was answered; all land on t1 in order.
    const history = ops(
      invokeCreate(0, ask('r1')),
      infoCreate(0),
      invokeCreate(1, ask('r1')),
      okCreate(1, 't1'),
      invokeCreate(2, ask('r1')),
      infoCreate(2),
      invokeCreate(3, ask('r2')),
      okCreate(3, 't2'),
    );
    const obs = observations({ txn: [txn({ txnId: 't2', requestId: 'r2' }), txn()] });
    expect(links(linkClientOps(history, obs))).toEqual({
      byTxn: {
        t1: [
          [0, 1],
          [2, 3],
          [4, 5],
        ],
        t2: [[6, 7]],
      },
      unlinked: [],
    });
  });

  it('links through the log past rows without a request id', () => {
    const history = ops(invokeCreate(0, ask('r1')), infoCreate(0));
    const obs = observations({ txn: [txn({ txnId: 't0', requestId: undefined }), txn()] });
    expect(links(linkClientOps(history, obs))).toEqual({ byTxn: { t1: [[0, 1]] }, unlinked: [] });
  });

  it('links a run once per history and observations, and again for other observations', () => {
    const history = ops(invokeCreate(0, ask('r1')), infoCreate(0));
    const obs = observations({ txn: [txn()] });
    expect(linkClientOps(history, obs)).toBe(linkClientOps(history, obs));
    const other = observations({ txn: [txn({ txnId: 't7' })] });
    expect(links(linkClientOps(history, other))).toEqual({ byTxn: { t7: [[0, 1]] }, unlinked: [] });
  });
});
