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
} from '../sessions.ts';
import { failCreate, infoCreate, invokeCreate, observations, okCreate, ops, txn } from './fixtures.ts';

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
    expect(l.byTxn.get('t1')).toEqual([{ f: 'create-session', invoke: 0, completion: -1, type: 'open' }]);
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

  it('links a run once per history and observations, and again for other observations', () => {
    const history = ops(invokeCreate(0, ask('r1')), infoCreate(0));
    const obs = observations({ txn: [txn()] });
    expect(linkClientOps(history, obs)).toBe(linkClientOps(history, obs));
    const other = observations({ txn: [txn({ txnId: 't7' })] });
    expect(links(linkClientOps(history, other))).toEqual({ byTxn: { t7: [[0, 1]] }, unlinked: [] });
  });
});
