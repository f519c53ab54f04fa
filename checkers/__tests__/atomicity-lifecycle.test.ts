// Proves that atomicity judges each transaction of a session's life on its own (issue 22): a modify or release is
// held to its own DSM writes, its own participants and its own client, and the session's status after its last write
// must be the one its outcome leaves. Each test breaks one thing of a correct life (t1 creates s1, t2 modifies it,
// t3 releases it) and expects its anomaly, with the txn and client ops; the unbroken life passes.
import { describe, expect, it } from 'vitest';
import { atomicity } from '../atomicity.ts';
import { dsm, failChange, infoCreate, invokeCreate, lifecycleRun, ops, part, run, txn } from './fixtures.ts';

const found = (r: ReturnType<typeof run>) => r.anomalies.map((a) => [a.type, a.key, a.ops, a.explanation]);

describe('atomicity: a session with several transactions', () => {
  it('passes a correct life, counting its transactions by what they do', () => {
    const { history, obs } = lifecycleRun();
    const r = run(atomicity, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ txns: 3, committed: 3, byAction: { create: 1, modify: 1, release: 1 } });
  });

  it("holds a modify to its own DSM writes: undecided there although the session's later writes are decided", () => {
    const { history, obs } = lifecycleRun();
    obs.dsm = obs.dsm.filter((d) => !(d.txnId === 't2' && d.state === 'COMMITTED'));
    expect(found(run(atomicity, history, obs))).toEqual([
      ['decision-mismatch', 't2', [2, 3], 'log committed but the DSM record is not decided'],
      [
        'ok-not-committed',
        't2',
        [2, 3],
        'client was told committed but log committed, DSM undecided, rm committed, billing committed',
      ],
    ]);
  });

  it('excuses a change that lost its claim (aborted, no DSM write, nothing prepared), never one that prepared', () => {
    const { history, obs } = lifecycleRun();
    // t3 lost the claim: no DSM write names it, the participants only tombstoned it, the log says aborted.
    obs.dsm = obs.dsm.filter((d) => d.txnId !== 't3');
    obs.txn[2]!.state = 'aborted';
    obs.participant = obs.participant.filter((p) => p.txnId !== 't3');
    obs.participant.push(
      part('rm', { txnId: 't3', state: 'tombstone', vote: undefined }),
      part('billing', { txnId: 't3', state: 'tombstone', vote: undefined }),
    );
    obs.event[2]!.outcome = 'aborted';
    const lost = ops(...history.slice(0, 5), { ...history[5]!, type: 'fail', value: { status: 412 } });
    expect(found(run(atomicity, lost, obs)).filter(([type]) => type === 'decision-mismatch')).toEqual([]);
    // The same, but billing voted yes: it prepared for a change that never held the session.
    obs.participant[obs.participant.length - 1] = part('billing', { txnId: 't3', state: 'aborted', vote: 'yes' });
    expect(found(run(atomicity, lost, obs)).filter(([type]) => type === 'decision-mismatch')).toEqual([
      ['decision-mismatch', 't3', [4, 5], 'log aborted but the DSM record is not decided'],
    ]);
  });

  it('reports a committed release whose last DSM write leaves the session active, not released', () => {
    const { history, obs } = lifecycleRun();
    obs.dsm[8]!.status = 'COMMITTED';
    expect(found(run(atomicity, history, obs))).toEqual([
      [
        'decision-mismatch',
        't3',
        [4, 5],
        "log committed release but the DSM's session status is COMMITTED, not RELEASED",
      ],
    ]);
  });

  it('reports an aborted modify whose last DSM write leaves the session other than active', () => {
    const { history, obs } = lifecycleRun();
    obs.txn[1]!.state = 'aborted';
    obs.txn[1]!.votes = { rm: 'yes', billing: 'no' };
    Object.assign(obs.participant[2]!, { state: 'aborted', vote: 'no' });
    Object.assign(obs.participant[3]!, { state: 'aborted' });
    obs.dsm[5] = dsm(6, 'ABORTED', { txnId: 't2', status: 'COMMITTED', revision: 0 });
    history[3]!.type = 'fail';
    history[3]!.value = { sessionId: 's1', txnId: 't2', outcome: 'aborted', status: 409 };
    expect(found(run(atomicity, history, obs))).toEqual([]);
    obs.dsm[5]!.status = 'ABORTED';
    expect(found(run(atomicity, history, obs))).toEqual([
      ['decision-mismatch', 't2', [2, 3], "log aborted modify but the DSM's session status is ABORTED, not COMMITTED"],
    ]);
  });

  it('reports a modify its client was told committed that aborted, citing the modify op', () => {
    const { history, obs } = lifecycleRun();
    obs.txn[1]!.state = 'aborted';
    obs.txn[1]!.votes = { rm: 'yes', billing: 'no' };
    Object.assign(obs.participant[2]!, { state: 'aborted', vote: 'no' });
    Object.assign(obs.participant[3]!, { state: 'aborted' });
    obs.dsm[5] = dsm(6, 'ABORTED', { txnId: 't2', status: 'COMMITTED', revision: 0 });
    expect(found(run(atomicity, history, obs))).toEqual([
      [
        'ok-not-committed',
        't2',
        [2, 3],
        'client was told committed but log aborted, DSM aborted, rm aborted, billing aborted',
      ],
    ]);
  });

  it('reports a release its client was told failed (409 aborted) that committed', () => {
    const { history, obs } = lifecycleRun();
    history[5] = {
      ...history[5]!,
      ...failChange('release-session', 0, { sessionId: 's1', txnId: 't3', outcome: 'aborted', status: 409 }),
    } as (typeof history)[number];
    expect(found(run(atomicity, history, obs))).toEqual([
      ['fail-but-committed', 't3', [4, 5], 'client was told it failed but rm committed, billing committed'],
    ]);
  });

  it('reports a release that one participant committed and the other never heard of', () => {
    const { history, obs } = lifecycleRun();
    obs.participant = obs.participant.filter((p) => !(p.txnId === 't3' && p.participant === 'rm'));
    expect(found(run(atomicity, history, obs))).toEqual([
      ['partial-commit', 't3', [4, 5], 'billing committed but rm absent'],
      [
        'ok-not-committed',
        't3',
        [4, 5],
        'client was told committed but log committed, DSM committed, rm absent, billing committed',
      ],
      ['outcome-not-reached', 't3', [4, 5], 'rm has no record of committed t3'],
    ]);
  });

  it("reads an older run's unnamed DSM writes as its session's create's, the only transaction of that session", () => {
    const older = (state: 'COMMITTED' | 'ABORTED') =>
      observations1([dsm(1, 'PENDING', { txnId: undefined }), dsm(2, state, { txnId: undefined })]);
    expect(found(run(atomicity, ops(invokeCreate(), infoCreate()), older('COMMITTED')))).toEqual([]);
    expect(found(run(atomicity, ops(invokeCreate(), infoCreate()), older('ABORTED')))).toEqual([
      ['decision-mismatch', 't1', [0, 1], 'log committed but DSM aborted'],
    ]);
  });

  it('credits an unnamed DSM write to no transaction of a session with changes', () => {
    const { history, obs } = lifecycleRun();
    obs.dsm.push(dsm(10, 'ABORTED', { txnId: undefined, status: 'ABORTED' }));
    expect(found(run(atomicity, history, obs))).toEqual([]);
  });
});

function observations1(dsmWrites: ReturnType<typeof dsm>[]) {
  const { obs } = lifecycleRun();
  return {
    ...obs,
    txn: [txn({ action: undefined })],
    participant: [part('rm'), part('billing')],
    dsm: dsmWrites,
    event: [],
    account: [],
    cell: [],
  };
}
