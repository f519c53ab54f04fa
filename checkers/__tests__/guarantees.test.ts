// Proves, for each guarantee that holds client requests and decided outcomes against the stores, that a run breaking
// only that guarantee is rejected by the checker responsible for it and by no other: every other checker of a default
// run stays valid (conservation, fed no snapshots here, says unknown for that reason alone).
import { describe, expect, it } from 'vitest';
import type { HistoryOp } from '../../format/history.ts';
import type { Observations } from '../../format/observations.ts';
import { checkerByName, compose, defaultCheckerNames } from '../index.ts';
import { committedRun, dsm, event, infoCreate, invokeCreate, ops, part, txn } from './fixtures.ts';

const all = compose(defaultCheckerNames(false).map((name) => checkerByName(name)!));

/** The baseline plus t2 (session s2, request r2, committed everywhere, with its event), asked for by process 1. */
function twoTxnRun(): { history: HistoryOp[]; obs: Observations } {
  const { obs } = committedRun();
  const asking = { requestId: 'r2', subscriberId: 'sub2', trafficClass: 'data', protocol: '2pc' };
  const history = ops(invokeCreate(0), invokeCreate(1, asking), infoCreate(0), infoCreate(1));
  const t2 = { txnId: 't2', sessionId: 's2' };
  obs.txn.push(txn({ ...t2, requestId: 'r2' }));
  obs.participant.push(part('rm', { txnId: 't2' }), part('billing', { txnId: 't2' }));
  obs.dsm.push(dsm(1, 'PENDING', t2), dsm(2, 'PREPARED', t2), dsm(3, 'COMMITTED', t2));
  obs.event.push(event(1, { ...t2, entryId: '2-1' }));
  return { history, obs };
}

/** The checkers that did not find the run valid, each with the anomaly types it reported. */
function verdicts(history: readonly HistoryOp[], obs: Observations): Record<string, string[]> {
  const r = all.check(history, obs, {});
  const out: Record<string, string[]> = {};
  for (const [name, result] of Object.entries(r.results)) {
    if (result.valid === true) continue;
    if (result.valid === 'unknown') expect(result.error, name).toMatch(/^examined nothing: /);
    else out[name] = [...new Set(result.anomalies.map((a) => a.type))].sort();
  }
  return out;
}

describe('each guarantee is judged by one checker', () => {
  it('the corrected run passes every checker', () => {
    const { history, obs } = twoTxnRun();
    expect(verdicts(history, obs)).toEqual({});
  });

  it('a committed transaction no client asked for: requests', () => {
    const { history, obs } = twoTxnRun();
    obs.txn[1]!.requestId = 'r9';
    expect(verdicts(history, obs)).toEqual({ requests: ['txn-without-request'] });
  });

  it('one request carried out as two transactions: requests', () => {
    const { history, obs } = twoTxnRun();
    obs.txn[1]!.requestId = 'r1';
    expect(verdicts(history, obs)).toEqual({ requests: ['request-with-two-txns'] });
  });

  it('a committed transaction one participant never heard of: atomicity', () => {
    const { history, obs } = twoTxnRun();
    obs.participant = obs.participant.filter((p) => !(p.txnId === 't2' && p.participant === 'billing'));
    expect(verdicts(history, obs)).toEqual({ atomicity: ['outcome-not-reached', 'partial-commit'] });
  });

  it('a decided transaction without its event: stream ordering', () => {
    const { history, obs } = twoTxnRun();
    obs.event = obs.event.filter((e) => e.txnId !== 't2');
    expect(verdicts(history, obs)).toEqual({ 'stream-ordering': ['lost-event'] });
  });
});
