// Proves each conservation anomaly is reported on a minimal snapshot pair (or read) and its corrected twin passes.
import { describe, expect, it } from 'vitest';
import type { ObservationOf, Observations } from '../../format/observations.ts';
import { conservation } from '../conservation.ts';
import { observations, ops, part, run, type TwinCase, twinTests, types } from './fixtures.ts';

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
    ops: [],
    build: (broken) =>
      noOps(observations({ account: [account('initial', 12, 0, 0), account('final', broken ? 10 : 11, 0, 1)] })),
  },
  {
    type: 'credit-total-changed',
    key: 'credit',
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
    ops: [],
    build: (broken) => noOps(observations({ cell: [cell('initial', 6, 6, 0), cell('final', 6, broken ? 4 : 5, 1)] })),
  },
  {
    type: 'capacity-total-changed',
    key: 'c1',
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
    ops: [],
    build: (broken) =>
      noOps(
        observations({ cell: [cell('initial', 2, 2, 0), broken ? cell('final', 2, -1, 3) : cell('final', 2, 0, 2)] }),
      ),
  },
];

describe('conservation', () => {
  twinTests(conservation, cases);

  it('checks what commits charged against what was spent', () => {
    const obs = observations({
      account: [account('initial', 12, 0, 0), account('final', 9, 0, 3)],
      participant: [part('billing', { accountId: 'a1', amount: 2 })],
    });
    expect(types(run(conservation, [], obs))).toEqual(['credit-total-changed']);
    obs.participant[0] = part('billing', { accountId: 'a1', amount: 3 });
    expect(run(conservation, [], obs).valid).toBe(true);
  });
});
