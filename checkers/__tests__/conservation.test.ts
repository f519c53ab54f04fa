// Proves each conservation anomaly is reported on a minimal snapshot pair (or read) and its corrected twin passes,
// and that the committed sessions are judged against their requests and against the snapshots, each on its own.
import { describe, expect, it } from 'vitest';
import type { ObservationOf, Observations } from '../../format/observations.ts';
import { documentedHomeCell } from '../asked-for.ts';
import { conservation } from '../conservation.ts';
import { checkSafe } from '../result.ts';
import {
  infoCreate,
  invokeCreate,
  observations,
  okCreate,
  ops,
  part,
  run,
  type TwinCase,
  twinTests,
  txn,
  types,
} from './fixtures.ts';

const account = (
  phase: 'initial' | 'final',
  balance: number,
  held: number,
  spent: number,
): ObservationOf<'account'> => ({
  kind: 'account',
  accountId: 'a1',
  phase,
  balance,
  held,
  spent,
  at: phase === 'initial' ? 0 : 1000,
});
const cell = (phase: 'initial' | 'final', capacity: number, free: number, used: number): ObservationOf<'cell'> => ({
  kind: 'cell',
  cellId: 'c1',
  phase,
  capacity,
  free,
  held: 0,
  used,
  at: phase === 'initial' ? 0 : 1000,
});

const noOps = (obs: Observations) => ({ history: [], obs });

const cases: TwinCase[] = [
  {
    type: 'credit-total-changed',
    key: 'a1',
    explains: 'balance+held+spent was 12, is 11',
    ops: [],
    build: (broken) =>
      noOps(observations({ account: [account('initial', 12, 0, 0), account('final', broken ? 10 : 11, 0, 1)] })),
  },
  {
    type: 'credit-total-changed',
    key: 'credit',
    explains: 'read total credit 13, expected 12',
    ops: [0, 1],
    build: (broken) => ({
      history: ops(
        { type: 'invoke', process: 0, f: 'read-totals' },
        { type: 'ok', process: 0, f: 'read-totals', value: { credit: broken ? 13 : 12 } },
      ),
      obs: observations({ account: [account('initial', 12, 0, 0)] }),
    }),
  },
  {
    type: 'capacity-total-changed',
    key: 'c1',
    explains: 'final: free+held+used = 5, capacity 6',
    ops: [],
    build: (broken) => noOps(observations({ cell: [cell('initial', 6, 6, 0), cell('final', 6, broken ? 4 : 5, 1)] })),
  },
  {
    type: 'spent-not-committed',
    key: 'c1',
    explains: '2 channels used during the run; committed reservations total 1',
    ops: [],
    build: (broken) =>
      noOps(
        observations({
          cell: [cell('initial', 6, 6, 0), cell('final', 6, 4, 2)],
          participant: [
            part('rm', { cells: ['c1'] }),
            part('rm', { txnId: 't2', cells: ['c1'], state: broken ? 'aborted' : 'committed' }),
          ],
        }),
      ),
  },
  {
    type: 'negative-balance',
    key: 'a1',
    explains: 'final: balance -1, held 0, spent 3',
    ops: [],
    build: (broken) =>
      noOps(
        observations({
          account: [account('initial', 2, 0, 0), broken ? account('final', -1, 0, 3) : account('final', 0, 0, 2)],
        }),
      ),
  },
  {
    type: 'over-booked-cell',
    key: 'c1',
    explains: 'final: used 3 + held 0 of capacity 2',
    ops: [],
    build: (broken) =>
      noOps(
        observations({ cell: [cell('initial', 2, 2, 0), broken ? cell('final', 2, -1, 3) : cell('final', 2, 0, 2)] }),
      ),
  },
];

describe('conservation', () => {
  twinTests(conservation, cases);

  it('names the account, cell or snapshot total behind each changed total', () => {
    const explain = (history: Parameters<typeof run>[1], obs: Observations) =>
      run(conservation, history, obs).anomalies.map((a) => [a.type, a.key, a.explanation]);
    expect(explain([], observations({ account: [account('final', 1, 0, 0)] }))).toEqual([
      ['credit-total-changed', 'a1', 'account only in the final snapshot'],
    ]);
    expect(explain([], observations({ cell: [cell('initial', 6, 6, 0), cell('final', 7, 7, 0)] }))).toEqual([
      ['capacity-total-changed', 'c1', 'capacity was 6, is 7'],
    ]);
    const read = ops(
      { type: 'invoke', process: 0, f: 'read-totals' },
      { type: 'ok', process: 0, f: 'read-totals', value: { channels: 5 } },
    );
    expect(explain(read, observations({ cell: [cell('initial', 6, 6, 0)] }))).toEqual([
      ['capacity-total-changed', 'channels', 'read total channels 5, expected 6'],
    ]);
  });

  it('checks what commits charged against what was spent', () => {
    const obs = observations({
      account: [account('initial', 12, 0, 0), account('final', 9, 0, 3)],
      participant: [part('billing', { accountId: 'a1', amount: 2 })],
    });
    expect(types(run(conservation, [], obs))).toEqual(['spent-not-committed']);
    obs.participant[0] = part('billing', { accountId: 'a1', amount: 3 });
    expect(run(conservation, [], obs).valid).toBe(true);
  });
});

// The committed sessions from two sides (committed.ts): each test breaks one guarantee of a correct two-session
// run (t1 voice on c1, t2 video on its home cell, both charged to a1 and committed) and expects exactly its anomaly.
describe('conservation: committed sessions against requests and snapshots', () => {
  const homeOfA1 = documentedHomeCell('a1', 3);
  const cells3 = (used: Record<string, number>) =>
    ['cell-1', 'cell-2', 'cell-3'].flatMap((id) => [
      { ...cell('initial', 6, 6, 0), cellId: id },
      { ...cell('final', 6, 6 - (used[id] ?? 0), used[id] ?? 0), cellId: id },
    ]);
  function correct() {
    const history = ops(
      invokeCreate(0, { requestId: 'r1', subscriberId: 'a1', trafficClass: 'voice', protocol: '2pc', cells: ['1'] }),
      okCreate(0, 't1'),
      invokeCreate(0, { requestId: 'r2', subscriberId: 'a1', trafficClass: 'video', protocol: '3pc' }),
      infoCreate(0),
    );
    const obs = observations({
      txn: [txn(), txn({ txnId: 't2', sessionId: 's2', requestId: 'r2' })],
      participant: [
        part('billing', { accountId: 'a1', amount: 5 }),
        part('rm', { cells: ['cell-1'] }),
        part('billing', { txnId: 't2', accountId: 'a1', amount: 20 }),
        part('rm', { txnId: 't2', cells: [homeOfA1] }),
      ],
      account: [account('initial', 100, 0, 0), account('final', 75, 0, 25)],
      cell: cells3({ 'cell-1': 1, [homeOfA1]: (homeOfA1 === 'cell-1' ? 1 : 0) + 1 }),
    });
    return { history, obs };
  }

  it('passes a correct run, counting the charges and reservations it compared', () => {
    const { history, obs } = correct();
    const r = run(conservation, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.stats).toMatchObject({ charges: 2, reservations: 2, committedCharges: 2, committedReservations: 2 });
  });

  it('reports a charge off the tariff (billing held, and spent, 7 for a voice session), naming its client ops', () => {
    const { history, obs } = correct();
    obs.participant[0] = part('billing', { accountId: 'a1', amount: 7 });
    obs.account[1] = account('final', 73, 0, 27);
    const r = run(conservation, history, obs);
    expect(r.anomalies.map((a) => [a.type, a.key, a.ops])).toEqual([['charge-mismatch', 't1', [0, 1]]]);
    expect(r.anomalies[0]?.explanation).toBe(
      "billing charged 7 to a1 for txn t1; the request's tariff (voice) says 5 to a1",
    );
  });

  it('reports a reservation on another cell than the request named (the wrong cell used)', () => {
    const { history, obs } = correct();
    const other = homeOfA1 === 'cell-3' ? 'cell-2' : 'cell-3';
    obs.participant[1] = part('rm', { cells: [other] });
    obs.cell = cells3({ [other]: 1, [homeOfA1]: 1 });
    const r = run(conservation, history, obs);
    expect(r.anomalies.map((a) => [a.type, a.key, a.ops])).toEqual([['reservation-mismatch', 't1', [0, 1]]]);
    expect(r.anomalies[0]?.explanation).toBe(`rm reserved cells [${other}] for txn t1; the request named [cell-1]`);
  });

  it("reports a reservation off the subscriber's home cell for a request that named none (an info op's txn)", () => {
    const { history, obs } = correct();
    const other = homeOfA1 === 'cell-3' ? 'cell-2' : 'cell-3';
    obs.participant[3] = part('rm', { txnId: 't2', cells: [other] });
    obs.cell = cells3({ 'cell-1': 1, [other]: 1 });
    const r = run(conservation, history, obs);
    expect(r.anomalies.map((a) => [a.type, a.key, a.ops])).toEqual([['reservation-mismatch', 't2', [2, 3]]]);
    expect(r.anomalies[0]?.explanation).toBe(
      `rm reserved cells [${other}] for txn t2; the subscriber's home cell is [${homeOfA1}]`,
    );
  });

  it('reports credit spent that no committed charge accounts for', () => {
    const { history, obs } = correct();
    obs.account[1] = account('final', 70, 0, 30);
    const r = run(conservation, history, obs);
    expect(r.anomalies.map((a) => [a.type, a.key, a.explanation])).toEqual([
      ['spent-not-committed', 'a1', '30 credit spent during the run; committed charges total 25'],
    ]);
  });

  it('reports a committed charge that spent nothing', () => {
    const { history, obs } = correct();
    obs.account[1] = account('final', 95, 0, 5);
    const r = run(conservation, history, obs);
    expect(r.anomalies.map((a) => [a.type, a.key, a.explanation])).toEqual([
      ['committed-not-spent', 'a1', '5 credit spent during the run; committed charges total 25'],
    ]);
  });

  it('does not judge spent credit when a committed record lacks its charge (a run stored before records had it)', () => {
    const { history, obs } = correct();
    obs.participant[0] = part('billing');
    obs.account[1] = account('final', 70, 0, 30);
    const r = run(conservation, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ charges: 1, committedCharges: 0, unrecordedCommits: 1 });
  });
});

// The snapshot sums term by term (issue 30): each term of a total counts with its sign, each edge is tested on both
// sides, a read is judged only against a source that was collected, and the figures reported are exact.
describe('conservation: the snapshot sums, term by term', () => {
  const acct = (phase: 'initial' | 'final', o: Partial<ObservationOf<'account'>> = {}): ObservationOf<'account'> => ({
    kind: 'account',
    accountId: 'a1',
    phase,
    balance: 10,
    held: 0,
    spent: 0,
    at: phase === 'initial' ? 0 : 1000,
    ...o,
  });
  const snap = (phase: 'initial' | 'final', o: Partial<ObservationOf<'cell'>> = {}): ObservationOf<'cell'> => ({
    kind: 'cell',
    cellId: 'c1',
    phase,
    capacity: 6,
    free: 6,
    held: 0,
    used: 0,
    at: phase === 'initial' ? 0 : 1000,
    ...o,
  });
  const found = (history: Parameters<typeof run>[1], obs: Observations) =>
    run(conservation, history, obs).anomalies.map((a) => [a.type, a.key, a.explanation]);
  const readTotals = (...values: unknown[]) =>
    ops(
      ...values.flatMap((value, i) => [
        { type: 'invoke' as const, process: i, f: 'read-totals', time: 10 * i },
        { type: 'ok' as const, process: i, f: 'read-totals', value, time: 10 * i + 5 },
      ]),
    );

  it('counts a hold and a charge in the credit total, each with its sign', () => {
    // 10 + 3 + 2 + 1 = 16 before, 9 + 0 + 5 + 2 = 16 after: conserved, though every term moved.
    const before = acct('initial', { balance: 10, held: 3, spent: 2, charged: 1 });
    expect(found([], observations({ account: [before, acct('final', { balance: 9, spent: 5, charged: 2 })] }))).toEqual(
      [],
    );
    expect(
      found([], observations({ account: [before, acct('final', { balance: 9, held: 1, spent: 5, charged: 2 })] })),
    ).toEqual([['credit-total-changed', 'a1', 'balance+held+spent+charged was 16, is 17']]);
  });

  it('names the charged term when only one snapshot records it', () => {
    const obs = (beforeCharged?: number, afterCharged?: number) =>
      observations({
        account: [acct('initial', { charged: beforeCharged }), acct('final', { balance: 9, charged: afterCharged })],
      });
    expect(found([], obs(undefined, 0))).toEqual([
      ['credit-total-changed', 'a1', 'balance+held+spent+charged was 10, is 9'],
    ]);
    expect(found([], obs(0, undefined))).toEqual([
      ['credit-total-changed', 'a1', 'balance+held+spent+charged was 10, is 9'],
    ]);
  });

  it('reports an account only in the initial snapshot, when the final one was taken', () => {
    const obs = observations({
      account: [acct('initial'), acct('initial', { accountId: 'a2' }), acct('final')],
    });
    expect(found([], obs)).toEqual([['credit-total-changed', 'a2', 'account only in the initial snapshot']]);
    expect(run(conservation, [], obs).anomalies[0]?.ops).toEqual([]);
  });

  it('does not judge the credit totals when no final snapshot was taken (the source is missing)', () => {
    const r = run(conservation, [], observations({ account: [acct('initial'), acct('initial', { accountId: 'a2' })] }));
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ accounts: 2, cells: 0, reads: 0 });
  });

  it('reports each negative term alone, and passes a zero balance', () => {
    const negative = (o: Partial<ObservationOf<'account'>>) =>
      found([], observations({ account: [acct('initial', o)] }));
    expect(negative({ balance: 0 })).toEqual([]);
    expect(negative({ balance: -1 })).toEqual([['negative-balance', 'a1', 'initial: balance -1, held 0, spent 0']]);
    expect(negative({ held: -1 })).toEqual([['negative-balance', 'a1', 'initial: balance 10, held -1, spent 0']]);
    expect(negative({ spent: -1 })).toEqual([['negative-balance', 'a1', 'initial: balance 10, held 0, spent -1']]);
    expect(negative({ charged: -1 })).toEqual([
      ['negative-balance', 'a1', 'initial: balance 10, held 0, spent 0, charged -1'],
    ]);
    expect(negative({ charged: 0 })).toEqual([]);
  });

  it('counts held channels in a cell, each term with its sign, and at the capacity edge', () => {
    expect(found([], observations({ cell: [snap('initial', { free: 4, held: 1, used: 1 })] }))).toEqual([]);
    expect(found([], observations({ cell: [snap('initial', { capacity: 2, free: 0, held: 0, used: 2 })] }))).toEqual(
      [],
    );
    // Used 2 and held 1 of capacity 2, though free is not negative: over-booked by the hold.
    expect(found([], observations({ cell: [snap('initial', { capacity: 2, free: 0, held: 1, used: 2 })] }))).toEqual([
      ['over-booked-cell', 'c1', 'initial: used 2 + held 1 of capacity 2'],
      ['capacity-total-changed', 'c1', 'initial: free+held+used = 3, capacity 2'],
    ]);
    // A negative free count alone, used and held within the capacity.
    expect(found([], observations({ cell: [snap('initial', { capacity: 2, free: -1, held: 0, used: 1 })] }))).toEqual([
      ['over-booked-cell', 'c1', 'initial: used 1 + held 0 of capacity 2'],
      ['capacity-total-changed', 'c1', 'initial: free+held+used = 0, capacity 2'],
    ]);
  });

  it('compares capacities whichever order the snapshots are listed in, and only for cells in both', () => {
    const listed = [snap('final', { capacity: 7, free: 7 }), snap('initial')];
    expect(run(conservation, [], observations({ cell: listed })).anomalies[0]?.ops).toEqual([]);
    expect(found([], observations({ cell: listed }))).toEqual([
      ['capacity-total-changed', 'c1', 'capacity was 6, is 7'],
    ]);
    expect(
      found([], observations({ cell: [snap('final', { cellId: 'c9' }), snap('initial'), snap('final')] })),
    ).toEqual([]);
  });

  it('holds reads to the initial totals summed over every account and cell, not the final snapshot', () => {
    // a1 12 + a2 8 = 20 credit; c1 6 + c2 4 = 10 channels. The final snapshots move terms, not totals.
    const obs = observations({
      account: [
        acct('initial', { balance: 12 }),
        acct('initial', { accountId: 'a2', balance: 8 }),
        acct('final', { balance: 10, spent: 2 }),
        acct('final', { accountId: 'a2', balance: 8 }),
      ],
      cell: [
        snap('initial'),
        snap('initial', { cellId: 'c2', capacity: 4, free: 4 }),
        snap('final', { free: 5, used: 1 }),
        snap('final', { cellId: 'c2', capacity: 4, free: 4 }),
      ],
    });
    const r = run(conservation, readTotals({ credit: 20, channels: 10 }), obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ accounts: 4, cells: 4, reads: 1 });
    expect(found(readTotals({ credit: 22, channels: 11 }), obs)).toEqual([
      ['credit-total-changed', 'credit', 'read total credit 22, expected 20'],
      ['capacity-total-changed', 'channels', 'read total channels 11, expected 10'],
    ]);
  });

  it('counts and judges only ok read-totals with a value, and only the totals they carry', () => {
    const obs = observations({ account: [acct('initial')], cell: [snap('initial')] });
    const history = ops(
      { type: 'invoke', process: 0, f: 'read-totals' },
      { type: 'fail', process: 0, f: 'read-totals', value: { credit: 1, channels: 1 } },
      { type: 'invoke', process: 0, f: 'read-totals' },
      { type: 'ok', process: 0, f: 'read-totals', value: null },
      { type: 'invoke', process: 0, f: 'read-session', value: { sessionId: 's1' } },
      { type: 'ok', process: 0, f: 'read-session', value: { credit: 1, channels: 1 } },
      { type: 'invoke', process: 0, f: 'read-totals' },
      { type: 'ok', process: 0, f: 'read-totals', value: {} },
    );
    const r = run(conservation, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ reads: 1 });
  });

  it('does not judge a read against a snapshot that was not collected (no account or cell records)', () => {
    const r = run(conservation, readTotals({ credit: 5, channels: 5 }), observations({}));
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toEqual({
      accounts: 0,
      cells: 0,
      reads: 1,
      charges: 0,
      reservations: 0,
      modifies: 0,
      releases: 0,
      committedCharges: 0,
      committedReservations: 0,
      unrecordedCommits: 0,
      anomalies: {},
    });
  });

  it('says unknown, naming every figure, when it examined nothing', () => {
    const r = checkSafe(conservation).check([], observations({}), {});
    expect(r.valid).toBe('unknown');
    expect(r.error).toBe(
      'examined nothing: 0 accounts, 0 cells, 0 reads, 0 charges, 0 reservations, 0 modifies, 0 releases',
    );
    expect(conservation.name).toBe('conservation');
  });
});
