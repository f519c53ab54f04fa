// Proves that conservation judges modifies and releases (issue 22) from its two sides: each test breaks one
// guarantee of a correct session life (t1 creates s1 voice on cell-1, t2 modifies it to video on cell-2, t3 releases
// it) and expects exactly the anomaly that guarantee's check reports, with the evidence in its explanation; the
// unbroken life passes and says how many modifies and releases it judged.
import { describe, expect, it } from 'vitest';
import { conservation } from '../conservation.ts';
import {
  account,
  cell,
  dsm,
  infoChange,
  infoCreate,
  invokeChange,
  lifecycleRun,
  modifiedRun,
  okChange,
  ops,
  part,
  run,
  txn,
} from './fixtures.ts';

const found = (r: ReturnType<typeof run>) => r.anomalies.map((a) => [a.type, a.key, a.explanation]);
const billing = (txnId: string) => (p: { txnId: string; participant: string }) =>
  p.txnId === txnId && p.participant === 'billing';
const rm = (txnId: string) => (p: { txnId: string; participant: string }) =>
  p.txnId === txnId && p.participant === 'rm';

describe('conservation: modifies and releases', () => {
  it('passes a correct life and counts the modify and the release it judged', () => {
    const { history, obs } = lifecycleRun();
    const r = run(conservation, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.stats).toMatchObject({ charges: 3, reservations: 3, modifies: 1, releases: 1, committedCharges: 3 });
  });

  it('reports a modify charged at the old tariff (billing kept 5 for a session moved to video)', () => {
    const { history, obs } = modifiedRun();
    Object.assign(obs.participant.find(billing('t2'))!, { amount: 5 });
    obs.account[1] = account('final', { balance: 95, spent: 5, at: 1e4 });
    expect(found(run(conservation, history, obs))).toEqual([
      [
        'charge-mismatch',
        't2',
        "billing holds 5 on a1 for modify t2 of session s1; the request's tariff (video) says 20 on a1",
      ],
    ]);
  });

  it('reports a modify whose hold the snapshots do not show (billing recorded 20 but spent stayed at 5)', () => {
    const { history, obs } = modifiedRun();
    obs.account[1] = account('final', { balance: 95, spent: 5, at: 1e4 });
    expect(found(run(conservation, history, obs))).toEqual([
      [
        'committed-not-spent',
        'a1',
        '5 credit spent during the run; committed charges total 25, less 5 given back (t2): 20',
      ],
    ]);
  });

  it('reports a modify that gave back another amount than the session held', () => {
    const { history, obs } = modifiedRun();
    Object.assign(obs.participant.find(billing('t2'))!, { releasedAmount: 10 });
    obs.account[1] = account('final', { balance: 85, spent: 15, at: 1e4 });
    expect(found(run(conservation, history, obs))).toEqual([
      [
        'release-mismatch',
        't2',
        'billing gave back 10 for modify t2 of session s1; the session held 5 (voice, after t1)',
      ],
    ]);
  });

  it('keeps the class of a modify that names only cells, and the cells of one that names only the class', () => {
    const cellsOnly = modifiedRun();
    cellsOnly.history[2]!.value = { requestId: 'r2', sessionId: 's1', cells: ['2'] };
    Object.assign(cellsOnly.obs.participant.find(billing('t2'))!, { amount: 5 });
    cellsOnly.obs.account[1] = account('final', { balance: 95, spent: 5, at: 1e4 });
    expect(run(conservation, cellsOnly.history, cellsOnly.obs).anomalies).toEqual([]);
    Object.assign(cellsOnly.obs.participant.find(billing('t2'))!, { amount: 20 });
    cellsOnly.obs.account[1] = account('final', { balance: 80, spent: 20, at: 1e4 });
    expect(found(run(conservation, cellsOnly.history, cellsOnly.obs))).toEqual([
      [
        'charge-mismatch',
        't2',
        "billing holds 20 on a1 for modify t2 of session s1; the request's tariff (voice) says 5 on a1",
      ],
    ]);

    const classOnly = modifiedRun();
    classOnly.history[2]!.value = { requestId: 'r2', sessionId: 's1', trafficClass: 'video' };
    Object.assign(classOnly.obs.participant.find(rm('t2'))!, { cells: ['cell-1'] });
    classOnly.obs.cell[3] = cell('cell-2', 'final');
    classOnly.obs.cell[2] = cell('cell-1', 'final', 1);
    expect(run(conservation, classOnly.history, classOnly.obs).anomalies).toEqual([]);
    Object.assign(classOnly.obs.participant.find(rm('t2'))!, { cells: ['cell-3'] });
    expect(found(run(conservation, classOnly.history, classOnly.obs))[0]).toEqual([
      'reservation-mismatch',
      't2',
      'rm reserved cells [cell-3] for modify t2 of session s1; the request, with what it left as it was, says [cell-1]',
    ]);
  });

  it("reports a release whose cells' channels did not come back, naming the release", () => {
    const { history, obs } = lifecycleRun();
    obs.cell[3] = cell('cell-2', 'final', 1);
    const r = run(conservation, history, obs);
    expect(found(r)).toEqual([
      [
        'release-not-returned',
        'cell-2',
        '1 of the 1 channels given back by t3 did not come back: 1 channels used during the run; committed ' +
          'reservations total 1, less 1 given back (t3): 0',
      ],
    ]);
    expect(r.anomalies[0]?.details).toMatchObject({ txns: ['t3'] });
  });

  it('reports a release whose credit went back to the balance instead of being charged', () => {
    const { history, obs } = lifecycleRun();
    obs.account[1] = account('final', { balance: 100, charged: 0, at: 1e4 });
    expect(found(run(conservation, history, obs))).toEqual([
      ['settle-mismatch', 'a1', '0 credit charged during the run; committed releases settled 20 (t3)'],
    ]);
  });

  it('reports credit charged that no committed release settled', () => {
    const { history, obs } = modifiedRun();
    obs.account[1] = account('final', { balance: 80, spent: 15, charged: 5, at: 1e4 });
    expect(found(run(conservation, history, obs))).toEqual([
      [
        'committed-not-spent',
        'a1',
        '15 credit spent during the run; committed charges total 25, less 5 given back (t2): 20',
      ],
      ['settle-mismatch', 'a1', '5 credit charged during the run; committed releases settled 0'],
    ]);
  });

  it('reports a release that kept a hold, or gave back what the session did not hold', () => {
    const kept = lifecycleRun();
    Object.assign(kept.obs.participant.find(billing('t3'))!, { amount: 20 });
    expect(found(run(conservation, kept.history, kept.obs))[0]).toEqual([
      'charge-mismatch',
      't3',
      'billing holds 20 on a1 for release t3 of session s1; a released session holds nothing on a1',
    ]);
    const other = lifecycleRun();
    Object.assign(other.obs.participant.find(rm('t3'))!, { releasedCells: ['cell-1'] });
    expect(found(run(conservation, other.history, other.obs))[0]).toEqual([
      'release-mismatch',
      't3',
      'rm gave back cells [cell-1] for release t3 of session s1; the session held [cell-2] (video, after t2)',
    ]);
  });

  it("reports a modify that moved the session's hold to another account", () => {
    const { history, obs } = lifecycleRun();
    Object.assign(obs.participant.find(billing('t2'))!, { accountId: 'a2' });
    expect(found(run(conservation, history, obs))[0]).toEqual([
      'charge-mismatch',
      't2',
      "billing holds 20 on a2 for modify t2 of session s1; the request's tariff (video) says 20 on a1",
    ]);
  });

  it("reads a release's records that leave out its zero hold and its empty cells", () => {
    const { history, obs } = lifecycleRun();
    delete obs.participant.find(billing('t3'))!.amount;
    delete obs.participant.find(rm('t3'))!.cells;
    const r = run(conservation, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ releases: 1, committedCharges: 3, committedReservations: 3 });
  });

  it('holds the credit total with what releases charged: balance+held+spent+charged', () => {
    const { history, obs } = lifecycleRun();
    obs.account[1] = account('final', { balance: 80, charged: 25, at: 1e4 });
    const r = run(conservation, history, obs);
    expect(found(r)).toContainEqual(['credit-total-changed', 'a1', 'balance+held+spent+charged was 100, is 105']);
  });

  it('does not sum a change whose record lacks what it gave back, and reports the record', () => {
    const { history, obs } = lifecycleRun();
    delete obs.participant.find(billing('t2'))!.releasedAmount;
    const r = run(conservation, history, obs);
    expect(found(r)).toEqual([
      [
        'release-mismatch',
        't2',
        'billing recorded nothing given back for modify t2 of session s1; the session held 5 (voice, after t1)',
      ],
    ]);
    expect(r.stats).toMatchObject({ unrecordedCommits: 1, committedCharges: 0 });
  });

  it("counts only what committed: an aborted modify changes nothing, and a release gives back the session's hold", () => {
    const { history, obs } = lifecycleRun();
    // t4, a modify to data asked for between t2 and t3 by another client, aborted: billing voted no.
    const retimed = history.map(({ index: _, time: __, ...o }) => o);
    const asked = ops(
      ...retimed.slice(0, 4),
      invokeChange('modify-session', 1, { requestId: 'r4', sessionId: 's1', trafficClass: 'data' }),
      infoChange('modify-session', 1),
      ...retimed.slice(4),
    );
    obs.txn.push(txn({ txnId: 't4', requestId: 'r4', action: 'modify', trafficClass: 'data', state: 'aborted' }));
    obs.participant.push(
      part('rm', { txnId: 't4', state: 'aborted' }),
      part('billing', { txnId: 't4', vote: 'no', state: 'aborted' }),
    );
    // Its DSM write comes between t2's and t3's.
    for (const d of obs.dsm) if (d.txnId === 't3') d.version += 1;
    obs.dsm.push(dsm(7, 'ABORTED', { txnId: 't4' }));
    expect(run(conservation, asked, obs).anomalies).toEqual([]);
    // Were t4 logged as committed (its participants aborted: atomicity's to report), t3 would owe what t4 left.
    obs.txn[3]!.state = 'committed';
    expect(found(run(conservation, asked, obs))).toEqual([
      [
        'release-mismatch',
        't3',
        'billing gave back 20 for release t3 of session s1; the session held 10 (data, after t4)',
      ],
    ]);
  });

  it("orders a session's transactions by the DSM's versions, not by a skewed clock's decision times", () => {
    const { history, obs } = lifecycleRun();
    obs.txn[2]!.decidedAt = 450;
    obs.txn[1]!.decidedAt = 460;
    expect(run(conservation, history, obs).anomalies).toEqual([]);
    obs.dsm = [];
    expect(found(run(conservation, history, obs))[0]?.[0]).toBe('release-mismatch');
  });

  it('keeps the DSM order when an aborted modify left no DSM write (its claim was refused)', () => {
    const { history, obs } = lifecycleRun();
    obs.txn[2]!.decidedAt = 450;
    obs.txn[1]!.decidedAt = 460;
    obs.txn.push(txn({ txnId: 't4', requestId: 'r4', action: 'modify', state: 'aborted', decidedAt: 10 }));
    expect(run(conservation, history, obs).anomalies).toEqual([]);
    // Were t4 committed, the session could not be ordered by the DSM; the skewed times then misorder t2 and t3.
    obs.txn[3]!.state = 'committed';
    expect(found(run(conservation, history, obs)).map(([type]) => type)).toContain('release-mismatch');
  });

  it('takes what a session held from the records of a step no request is linked to (a create without a request id)', () => {
    const { history, obs } = modifiedRun();
    history[0]!.value = { subscriberId: 'a1', trafficClass: 'voice', protocol: '2pc', cells: ['cell-1'] };
    history[1] = { ...infoCreate(0), index: 1, time: 10, value: { status: 504 } } as (typeof history)[number];
    obs.txn[0]!.requestId = undefined;
    expect(run(conservation, history, obs).anomalies).toEqual([]);
    Object.assign(obs.participant.find(billing('t2'))!, { releasedAmount: 10 });
    obs.account[1] = account('final', { balance: 85, spent: 15, at: 1e4 });
    expect(found(run(conservation, history, obs))).toEqual([
      [
        'release-mismatch',
        't2',
        'billing gave back 10 for modify t2 of session s1; the session held 5 (voice, after t1)',
      ],
    ]);
  });

  it('does not judge what a modify gave back when nothing says what the session held', () => {
    const history = ops(
      invokeChange('modify-session', 0, { requestId: 'r2', sessionId: 's1', trafficClass: 'video' }),
      okChange('modify-session', 0, 't2', 1),
    );
    const { obs } = modifiedRun();
    obs.txn = obs.txn.filter((t) => t.txnId === 't2');
    obs.participant = obs.participant.filter((p) => p.txnId === 't2');
    obs.account = [];
    obs.cell = [];
    const r = run(conservation, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ charges: 1, reservations: 0, modifies: 1 });
  });
});
