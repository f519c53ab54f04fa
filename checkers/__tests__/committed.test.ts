// The committed transactions judged from two sides (committed.ts, issue 30): each record against the request that
// asked for it, and what the snapshots say moved against the sums of the committed records. Each test breaks one
// thing and expects the exact anomaly list, with the txn, account or cell and the figures that prove it, and the
// figures it reports (what it compared, what it could not sum) exactly.
import { describe, expect, it } from 'vitest';
import type { ObservationOf, Observations } from '../../format/observations.ts';
import { conservation } from '../conservation.ts';
import {
  account,
  cell,
  failChange,
  invokeChange,
  invokeCreate,
  lifecycleRun,
  modifiedRun,
  observations,
  okChange,
  okCreate,
  ops,
  part,
  run,
  txn,
} from './fixtures.ts';

type Part = ObservationOf<'participant'>;
const found = (r: ReturnType<typeof run>) => r.anomalies.map((a) => [a.type, a.key, a.explanation]);
const of = (participant: 'rm' | 'billing', txnId: string) => (p: Part) =>
  p.txnId === txnId && p.participant === participant;
/** A committed record of `txnId`, with no token or vote to matter here. */
const rec = (participant: 'rm' | 'billing', txnId: string, o: Partial<Part> = {}) => part(participant, { txnId, ...o });
const counts = (r: ReturnType<typeof run>) => {
  const { charges, reservations, modifies, releases, committedCharges, committedReservations, unrecordedCommits } =
    r.stats;
  return { charges, reservations, modifies, releases, committedCharges, committedReservations, unrecordedCommits };
};

/** One modify of session s1 asked for (`value`), committed with `records`; nothing says what s1 held before it. */
function lonelyModify(value: Record<string, unknown>, records: Part[]) {
  const history = ops(
    invokeChange('modify-session', 0, { requestId: 'r2', sessionId: 's1', ...value }),
    okChange('modify-session', 0, 't2', 2),
  );
  const obs = observations({
    txn: [txn({ txnId: 't2', requestId: 'r2', action: 'modify', trafficClass: 'video' })],
    participant: records,
  });
  return { history, obs };
}

describe('committed: each record against its request', () => {
  it('judges an unpriced create on what it gave back only, and counts it', () => {
    const history = ops(
      invokeCreate(0, { requestId: 'r1', subscriberId: 'a1', trafficClass: 'fax', protocol: '2pc', cells: ['1'] }),
      okCreate(0, 't1'),
    );
    const obs = observations({
      txn: [txn()],
      participant: [rec('billing', 't1', { accountId: 'a1', amount: 7 }), rec('rm', 't1', { cells: ['cell-1'] })],
    });
    const r = run(conservation, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(counts(r)).toEqual({
      charges: 1,
      reservations: 1,
      modifies: 0,
      releases: 0,
      committedCharges: 1,
      committedReservations: 1,
      unrecordedCommits: 0,
    });
    obs.participant[0] = rec('billing', 't1', { accountId: 'a1', amount: 7, releasedAmount: 3 });
    const gave = run(conservation, history, obs);
    expect(found(gave)).toEqual([
      ['release-mismatch', 't1', 'billing gave back 3 for txn t1; a new session held nothing'],
    ]);
    expect(counts(gave)).toMatchObject({ charges: 1, reservations: 1 });
  });

  it('does not count a modify when nothing can be judged of it (an unpriced class, what it held unknown)', () => {
    const { history, obs } = lonelyModify({ trafficClass: 'fax' }, [
      rec('billing', 't2', { action: 'modify', accountId: 'a1', amount: 7, releasedAmount: 5 }),
      rec('rm', 't2', { action: 'modify', cells: ['cell-1'], releasedCells: ['cell-2'] }),
    ]);
    const r = run(conservation, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(counts(r)).toMatchObject({ charges: 0, reservations: 0, modifies: 0, releases: 0, committedCharges: 1 });
  });

  it('judges and counts the hold of a modify whose session held what nobody knows, on the account it names', () => {
    const { history, obs } = lonelyModify({ trafficClass: 'video' }, [
      rec('billing', 't2', { action: 'modify', accountId: 'a1', amount: 5, releasedAmount: 5 }),
    ]);
    const r = run(conservation, history, obs);
    expect(found(r)).toEqual([
      [
        'charge-mismatch',
        't2',
        "billing holds 5 on a1 for modify t2 of session s1; the request's tariff (video) says 20 on a1",
      ],
    ]);
    expect(r.anomalies[0]?.ops).toEqual([0, 1]);
    expect(r.anomalies[0]?.details).toEqual({ charged: 5, account: 'a1', tariff: 20, subscriberId: 'a1' });
    expect(counts(r)).toMatchObject({ charges: 1, modifies: 1 });
  });

  it("judges and counts a modify's cells alone when only its rm record is there", () => {
    const { history, obs } = lonelyModify({ cells: ['3'] }, [
      rec('rm', 't2', { action: 'modify', cells: ['cell-3'], releasedCells: ['cell-1'] }),
    ]);
    const r = run(conservation, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(counts(r)).toMatchObject({ charges: 0, reservations: 1, modifies: 1, committedReservations: 1 });
  });

  it('judges and counts the cells a create gave back though it named none to reserve', () => {
    const history = ops(
      invokeCreate(0, { requestId: 'r1', subscriberId: 'a1', trafficClass: 'voice', protocol: '2pc' }),
      okCreate(0, 't1'),
    );
    const obs = observations({
      txn: [txn()],
      participant: [rec('rm', 't1', { cells: ['cell-5'], releasedCells: ['cell-9'] })],
    });
    const r = run(conservation, history, obs);
    expect(found(r)).toEqual([
      ['release-mismatch', 't1', 'rm gave back cells [cell-9] for txn t1; a new session held none'],
    ]);
    expect(counts(r)).toMatchObject({ reservations: 1 });
  });

  it('names a modify by its txn alone when no source names its session', () => {
    const history = ops(invokeChange('modify-session', 0, { requestId: 'r2', trafficClass: 'video' }), {
      type: 'ok',
      process: 0,
      f: 'modify-session',
      value: { txnId: 't2', outcome: 'committed' },
    });
    const obs = observations({
      participant: [rec('billing', 't2', { action: 'modify', accountId: 'a1', amount: 5, releasedAmount: 5 })],
    });
    expect(found(run(conservation, history, obs))).toEqual([
      ['charge-mismatch', 't2', "billing holds 5 on a1 for modify t2; the request's tariff (video) says 20 on a1"],
    ]);
  });

  it('reports what a create gave back, of credit and of cells, with the figures in its details', () => {
    const { history, obs } = lifecycleRun();
    Object.assign(obs.participant.find(of('rm', 't1'))!, { releasedCells: ['cell-9'] });
    Object.assign(obs.participant.find(of('billing', 't1'))!, { releasedAmount: 3 });
    obs.account = [];
    obs.cell = [];
    const r = run(conservation, history, obs);
    expect(found(r)).toEqual([
      ['release-mismatch', 't1', 'billing gave back 3 for txn t1; a new session held nothing'],
      ['release-mismatch', 't1', 'rm gave back cells [cell-9] for txn t1; a new session held none'],
    ]);
    expect(r.anomalies.map((a) => a.details)).toEqual([
      { released: 3, held: 0 },
      { released: ['cell-9'], held: [] },
    ]);
  });

  it('reports a release that kept its cells, naming the release and what it kept', () => {
    const { history, obs } = lifecycleRun();
    Object.assign(obs.participant.find(of('rm', 't3'))!, { cells: ['cell-2'] });
    obs.cell[3] = cell('cell-2', 'final', 1);
    const r = run(conservation, history, obs);
    expect(found(r)).toEqual([
      [
        'reservation-mismatch',
        't3',
        'rm reserved cells [cell-2] for release t3 of session s1; a released session holds none',
      ],
    ]);
    expect(r.anomalies[0]?.details).toEqual({ reserved: ['cell-2'], requested: [] });
  });

  it('reports a release of a released session whose records do not say they gave back nothing', () => {
    const { history, obs } = lifecycleRun();
    const again = ops(
      ...history.map(({ index: _, time: __, ...o }) => o),
      invokeChange('release-session', 0, { requestId: 'r4', sessionId: 's1' }),
      okChange('release-session', 0, 't4', 4),
    );
    obs.txn.push(txn({ txnId: 't4', requestId: 'r4', action: 'release', trafficClass: 'video' }));
    obs.participant.push(
      rec('billing', 't4', { action: 'release', accountId: 'a1', amount: 0 }),
      rec('rm', 't4', { action: 'release', cells: [] }),
    );
    obs.dsm.push({ ...obs.dsm[8]!, txnId: 't4', version: 10 });
    const r = run(conservation, again, obs);
    expect(found(r)).toEqual([
      [
        'release-mismatch',
        't4',
        'billing recorded nothing given back for release t4 of session s1; the session held 0 (video, after t3)',
      ],
      [
        'release-mismatch',
        't4',
        'rm recorded no cells given back for release t4 of session s1; the session held [] (video, after t3)',
      ],
    ]);
    expect(counts(r)).toMatchObject({ releases: 2, unrecordedCommits: 2, committedCharges: 0 });
  });

  it('compares cells as a set: order aside, but each named cell and each copy counts', () => {
    const create = (cells: string[], reserved: string[]) => {
      const history = ops(
        invokeCreate(0, { requestId: 'r1', subscriberId: 'a1', trafficClass: 'voice', protocol: '2pc', cells }),
        okCreate(0, 't1'),
      );
      const obs = observations({ txn: [txn()], participant: [rec('rm', 't1', { cells: reserved })] });
      return found(run(conservation, history, obs));
    };
    expect(create(['2', '1'], ['cell-1', 'cell-2'])).toEqual([]);
    expect(create(['1', '2'], ['cell-2', 'cell-1'])).toEqual([]);
    expect(create(['2', '1'], ['cell-1', 'cell-3'])).toEqual([
      [
        'reservation-mismatch',
        't1',
        'rm reserved cells [cell-1, cell-3] for txn t1; the request named [cell-2, cell-1]',
      ],
    ]);
    expect(create(['1', 'cell-1'], ['cell-1'])).toEqual([
      ['reservation-mismatch', 't1', 'rm reserved cells [cell-1] for txn t1; the request named [cell-1, cell-1]'],
    ]);
    // Cells the gateway keeps as given are compared whole, not as one string run together.
    expect(create(['a', 'bc'], ['ab', 'c'])).toEqual([
      ['reservation-mismatch', 't1', 'rm reserved cells [ab, c] for txn t1; the request named [a, bc]'],
    ]);
    expect(create(['x\ny'], ['x', 'y'])).toEqual([
      ['reservation-mismatch', 't1', 'rm reserved cells [x, y] for txn t1; the request named [x\ny]'],
    ]);
  });

  it('counts a reservation of a create that named no cells where none were seeded to place it on', () => {
    const history = ops(
      invokeCreate(0, { requestId: 'r1', subscriberId: 'a1', trafficClass: 'voice', protocol: '2pc' }),
      okCreate(0, 't1'),
    );
    const obs = observations({ txn: [txn()], participant: [rec('rm', 't1', { cells: ['cell-5'] })] });
    const r = run(conservation, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(counts(r)).toMatchObject({ charges: 0, reservations: 1, committedReservations: 1 });
  });

  it('says what the session held without a class when the step that left it names none', () => {
    // t1 created s1 with no client op linked (a timeout without a request id); its log row names no class.
    const history = ops(
      invokeChange('modify-session', 0, { requestId: 'r2', sessionId: 's1', trafficClass: 'video' }),
      okChange('modify-session', 0, 't2', 2),
    );
    const obs = observations({
      txn: [
        txn({ requestId: undefined, action: 'create' }),
        txn({ txnId: 't2', requestId: 'r2', action: 'modify', trafficClass: 'video', createdAt: 400, decidedAt: 500 }),
      ],
      participant: [
        rec('billing', 't1', { action: 'create', accountId: 'a1', amount: 5 }),
        rec('billing', 't2', { action: 'modify', accountId: 'a1', amount: 20, releasedAmount: 10 }),
      ],
    });
    expect(found(run(conservation, history, obs))).toEqual([
      ['release-mismatch', 't2', 'billing gave back 10 for modify t2 of session s1; the session held 5 (after t1)'],
    ]);
  });

  it('does not compare the records of an aborted transaction with its request', () => {
    const { history, obs } = lifecycleRun();
    const asked = ops(
      ...history.map(({ index: _, time: __, ...o }) => o),
      invokeChange('modify-session', 1, { requestId: 'r4', sessionId: 's1', trafficClass: 'data' }),
      failChange('modify-session', 1, { status: 409, sessionId: 's1', txnId: 't4', outcome: 'aborted' }),
    );
    obs.txn.push(txn({ txnId: 't4', requestId: 'r4', action: 'modify', trafficClass: 'data', state: 'aborted' }));
    obs.participant.push(
      rec('billing', 't4', { state: 'aborted', accountId: 'a9', amount: 99, releasedAmount: 1 }),
      rec('rm', 't4', { state: 'aborted', cells: ['cell-9'], releasedCells: ['cell-8'] }),
    );
    const r = run(conservation, asked, obs);
    expect(r.anomalies).toEqual([]);
    expect(counts(r)).toEqual({
      charges: 3,
      reservations: 3,
      modifies: 1,
      releases: 1,
      committedCharges: 3,
      committedReservations: 3,
      unrecordedCommits: 0,
    });
  });
});

describe('committed: what moved against the committed sums', () => {
  it("takes a record's kind from the log when the record does not say it", () => {
    const { history, obs } = lifecycleRun();
    for (const p of obs.participant) delete p.action;
    const r = run(conservation, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(counts(r)).toMatchObject({ committedCharges: 3, committedReservations: 3, unrecordedCommits: 0 });
    // ...so a modify's record must still say what it gave back.
    delete obs.participant.find(of('rm', 't2'))!.releasedCells;
    const lacking = run(conservation, history, obs);
    expect(found(lacking)).toEqual([
      [
        'release-mismatch',
        't2',
        'rm recorded no cells given back for modify t2 of session s1; the session held [cell-1] (voice, after t1)',
      ],
    ]);
    expect(counts(lacking)).toMatchObject({ committedCharges: 0, committedReservations: 0, unrecordedCommits: 1 });
  });

  it('does not sum a release whose record lacks what it gave back', () => {
    const { history, obs } = lifecycleRun();
    delete obs.participant.find(of('billing', 't3'))!.releasedAmount;
    const r = run(conservation, history, obs);
    expect(found(r)).toEqual([
      [
        'release-mismatch',
        't3',
        'billing recorded nothing given back for release t3 of session s1; the session held 20 (video, after t2)',
      ],
    ]);
    expect(counts(r)).toMatchObject({ committedCharges: 0, unrecordedCommits: 1 });
  });

  it('does not take a billing record without an account, or without any amount, for a charge', () => {
    for (const strip of [['accountId'], ['amount']] as const) {
      const { history, obs } = lifecycleRun();
      for (const key of strip) delete obs.participant.find(of('billing', 't1'))![key];
      const r = run(conservation, history, obs);
      expect(r.anomalies).toEqual([]);
      expect(counts(r)).toMatchObject({ charges: 2, committedCharges: 0, unrecordedCommits: 1 });
    }
  });

  it('names each txn that gave back once, though it gave back two channels of one cell', () => {
    const { history, obs } = lifecycleRun();
    history[2]!.value = { requestId: 'r2', sessionId: 's1', trafficClass: 'video', cells: ['2', 'cell-2'] };
    Object.assign(obs.participant.find(of('rm', 't2'))!, { cells: ['cell-2', 'cell-2'] });
    Object.assign(obs.participant.find(of('rm', 't3'))!, { releasedCells: ['cell-2', 'cell-2'] });
    obs.cell[3] = cell('cell-2', 'final', 2);
    const r = run(conservation, history, obs);
    expect(found(r)).toEqual([
      [
        'release-not-returned',
        'cell-2',
        '2 of the 2 channels given back by t3 did not come back: 2 channels used during the run; committed ' +
          'reservations total 2, less 2 given back (t3): 0',
      ],
    ]);
    expect(r.anomalies[0]?.details).toEqual({ moved: 2, committed: 2, givenBack: 2, txns: ['t3'] });
  });

  it('reports more channels used than any commit reserved as spent, not as a release not returned', () => {
    const { history, obs } = lifecycleRun();
    obs.cell[3] = cell('cell-2', 'final', 2);
    const r = run(conservation, history, obs);
    expect(found(r)).toEqual([
      [
        'spent-not-committed',
        'cell-2',
        '2 channels used during the run; committed reservations total 1, less 1 given back (t3): 0',
      ],
    ]);
    expect(r.anomalies[0]?.details).toEqual({ moved: 2, committed: 1, givenBack: 1 });
  });

  it('reports credit a modify gave back that stayed spent as spent, not as a release not returned', () => {
    const { history, obs } = modifiedRun();
    obs.account[1] = account('final', { balance: 75, spent: 25, at: 1e4 });
    expect(found(run(conservation, history, obs))).toEqual([
      [
        'spent-not-committed',
        'a1',
        '25 credit spent during the run; committed charges total 25, less 5 given back (t2): 20',
      ],
    ]);
  });

  it('reads the snapshots in any order, and moves from what the initial one already showed spent', () => {
    const { history, obs } = lifecycleRun();
    obs.account = [
      account('final', { balance: 70, spent: 10, charged: 20, at: 1e4 }),
      account('initial', { balance: 90, spent: 10 }),
    ];
    obs.cell = [obs.cell[2]!, obs.cell[3]!, obs.cell[0]!, obs.cell[1]!];
    expect(run(conservation, history, obs).anomalies).toEqual([]);
  });

  it('judges nothing moved where a source is missing: no final snapshots, or no participant records', () => {
    const noFinal = lifecycleRun();
    noFinal.obs.account = noFinal.obs.account.filter((a) => a.phase === 'initial');
    noFinal.obs.cell = noFinal.obs.cell.filter((c) => c.phase === 'initial');
    const r = run(conservation, noFinal.history, noFinal.obs);
    expect(r.anomalies).toEqual([]);
    expect(counts(r)).toMatchObject({ committedCharges: 3, committedReservations: 3 });
    // A session still holding credit and a channel: nothing to compare them with either.
    const holding = modifiedRun();
    holding.obs.account = holding.obs.account.filter((a) => a.phase === 'initial');
    holding.obs.cell = holding.obs.cell.filter((c) => c.phase === 'initial');
    expect(run(conservation, holding.history, holding.obs).anomalies).toEqual([]);

    const noRecords = lifecycleRun();
    noRecords.obs.participant = [];
    noRecords.obs.cell[3] = cell('cell-2', 'final', 1);
    const s = run(conservation, noRecords.history, noRecords.obs);
    expect(s.anomalies).toEqual([]);
    expect(counts(s)).toEqual({
      charges: 0,
      reservations: 0,
      modifies: 0,
      releases: 0,
      committedCharges: 0,
      committedReservations: 0,
      unrecordedCommits: 0,
    });
  });
});

// Records only, no client ops: sessions c1..c4 created on cell-1 and on account a1, released by x1..x4.
describe('committed: sums over several sessions', () => {
  function sessions(n: number, o: { used?: number; charged?: number; spent?: number } = {}): Observations {
    const participant: Part[] = [];
    for (let i = 1; i <= n; i++) {
      participant.push(
        rec('billing', `c${i}`, { action: 'create', accountId: 'a1', amount: 5 * i }),
        rec('rm', `c${i}`, { action: 'create', cells: ['cell-1'] }),
        rec('billing', `x${i}`, { action: 'release', accountId: 'a1', amount: 0, releasedAmount: 5 * i }),
        rec('rm', `x${i}`, { action: 'release', cells: [], releasedCells: ['cell-1'] }),
      );
    }
    const charged = o.charged ?? (5 * n * (n + 1)) / 2;
    const spent = o.spent ?? 0;
    return observations({
      participant,
      account: [
        account('initial', { balance: 100 }),
        account('final', { balance: 100 - charged - spent, spent, charged }),
      ],
      cell: [cell('cell-1', 'initial'), cell('cell-1', 'final', o.used ?? 0)],
    });
  }

  it('passes sessions whose credit was charged and whose channels came back', () => {
    const r = run(conservation, [], sessions(4));
    expect(r.anomalies).toEqual([]);
    expect(counts(r)).toMatchObject({ charges: 0, committedCharges: 8, committedReservations: 8 });
  });

  it('names three releases in full, and the first three of four and how many more', () => {
    expect(found(run(conservation, [], sessions(3, { used: 3 })))).toEqual([
      [
        'release-not-returned',
        'cell-1',
        '3 of the 3 channels given back by x1, x2, x3 did not come back: 3 channels used during the run; committed ' +
          'reservations total 3, less 3 given back (x1, x2, x3): 0',
      ],
    ]);
    const four = run(conservation, [], sessions(4, { used: 4 }));
    expect(found(four)).toEqual([
      [
        'release-not-returned',
        'cell-1',
        '4 of the 4 channels given back by x1, x2, x3 and 1 more did not come back: 4 channels used during the run; ' +
          'committed reservations total 4, less 4 given back (x1, x2, x3 and 1 more): 0',
      ],
    ]);
    expect(four.anomalies[0]?.details).toMatchObject({ txns: ['x1', 'x2', 'x3', 'x4'] });
    expect(four.anomalies[0]?.ops).toEqual([]);
    // One session still holds its channel (net 1): 3 used, so 2 of the 4 given back did not come back.
    const held = sessions(4, { used: 3 });
    held.participant.push(rec('rm', 'c9', { action: 'create', cells: ['cell-1'] }));
    expect(found(run(conservation, [], held))).toEqual([
      [
        'release-not-returned',
        'cell-1',
        '2 of the 4 channels given back by x1, x2, x3 and 1 more did not come back: 3 channels used during the run; ' +
          'committed reservations total 5, less 4 given back (x1, x2, x3 and 1 more): 1',
      ],
    ]);
  });

  it('names every release whose credit was not charged, with the figures', () => {
    const r = run(conservation, [], sessions(2, { charged: 0 }));
    expect(found(r)).toEqual([
      ['settle-mismatch', 'a1', '0 credit charged during the run; committed releases settled 15 (x1, x2)'],
    ]);
    expect(r.anomalies[0]?.details).toEqual({ charged: 0, settled: 15 });
    expect(r.anomalies[0]?.ops).toEqual([]);
  });

  it('judges a cell or an account that only the records, or only the snapshots, name', () => {
    const obs = observations({
      participant: [rec('rm', 'c1', { action: 'create', cells: ['cell-9'] })],
      cell: [cell('cell-2', 'initial'), cell('cell-2', 'final', 1)],
    });
    const r = run(conservation, [], obs);
    expect(found(r)).toEqual([
      ['spent-not-committed', 'cell-2', '1 channels used during the run; committed reservations total 0'],
      ['committed-not-spent', 'cell-9', '0 channels used during the run; committed reservations total 1'],
    ]);
    expect(r.anomalies.map((a) => a.details)).toEqual([
      { moved: 1, committed: 0, givenBack: 0 },
      { moved: 0, committed: 1, givenBack: 0 },
    ]);

    // A release settled on a2, which no snapshot lists (a1's is unchanged).
    const settled = observations({
      participant: [
        rec('billing', 'c1', { action: 'create', accountId: 'a2', amount: 5 }),
        rec('billing', 'x1', { action: 'release', accountId: 'a2', amount: 0, releasedAmount: 5 }),
      ],
      account: [account('initial'), account('final', { at: 1e4 })],
    });
    expect(found(run(conservation, [], settled))).toEqual([
      ['settle-mismatch', 'a2', '0 credit charged during the run; committed releases settled 5 (x1)'],
    ]);
  });

  it('moves an account only the final snapshot lists from nothing', () => {
    const obs = observations({
      participant: [rec('billing', 'c1', { action: 'create', accountId: 'a1', amount: 5 })],
      account: [account('final', { balance: 95, spent: 5, at: 1e4 })],
    });
    expect(found(run(conservation, [], obs))).toEqual([
      ['credit-total-changed', 'a1', 'account only in the final snapshot'],
    ]);
  });
});
