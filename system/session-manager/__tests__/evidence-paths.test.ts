// Proves how the session managers' log lines become `path` records: a leader's take-over of one transaction is one
// recovery however many finisher passes log it (a new epoch counts again), and only the second and later appends of
// a txn id, in time across nodes, are relay re-sends (the first append may be by a node that crashed right after).
import { describe, expect, it } from 'vitest';
import { readSessionManagerPaths } from '../evidence-paths.ts';

const toNs = (ms: number) => ms * 1e6;

describe('session-manager path evidence', () => {
  it('counts one recovery per leader, epoch and transaction', () => {
    const lines = [
      { t: 1, obs: 'recovery', txnId: 't1', decided: true, token: 2 },
      { t: 2, obs: 'recovery', txnId: 't1', decided: true, token: 2 },
      { t: 3, obs: 'recovery', txnId: 't2', decided: false, token: 2 },
      { t: 4, obs: 'recovery', txnId: 't1', decided: true, token: 3 },
    ];
    const paths = readSessionManagerPaths([{ node: 'sm-1', lines }], toNs);
    expect(paths.map((p) => [p.name, p.txnId, p.outcome, p.at])).toEqual([
      ['recovery', 't1', 'decided', 1e6],
      ['recovery', 't2', 'undecided', 3e6],
      ['recovery', 't1', 'decided', 4e6],
    ]);
  });

  it('counts the appends of a txn after its first, across nodes, as re-sends', () => {
    const logs = [
      { node: 'sm-2', lines: [{ t: 20, obs: 'relay-append', txnIds: ['t1', 't2', 't3'], token: 3 }] },
      { node: 'sm-1', lines: [{ t: 10, obs: 'relay-append', txnIds: ['t1', 't2'], token: 2 }] },
    ];
    const paths = readSessionManagerPaths(logs, toNs);
    expect(paths.map((p) => [p.name, p.node, p.txnId, p.at])).toEqual([
      ['relay-resend', 'sm-2', 't1', 20e6],
      ['relay-resend', 'sm-2', 't2', 20e6],
    ]);
  });
});
