// Proves each conservation anomaly is reported on a minimal snapshot pair (or read) and its corrected twin passes,
// and that the committed sessions are judged against their requests and against the snapshots, each on its own.
import { describe, expect, it } from 'vitest';
import type { ObservationOf, Observations } from '../../format/observations.ts';
import { documentedHomeCell } from '../asked-for.ts';
import { conservation } from '../conservation.ts';
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
