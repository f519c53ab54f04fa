// Proves the unavailability figures of each fault window: the longest gap without an ok that begins inside the window
// (running past the heal to the next ok), a gap cut by the end of the run, the leader loss judged from the leaders'
// records, the first ok through the new leader judged from the transaction log's tokens (not from the ok alone), and
// the bound flagged only for a leader loss and only when the lease is known. The stats checker carries them.
import { describe, expect, it } from 'vitest';
import type { HistoryOp } from '../../format/history.ts';
import { availability, availabilityLines, leaderLossBoundMs } from '../availability.ts';
import { stats } from '../stats.ts';
import { leader, observations, ops, txn } from './fixtures.ts';

const ms = 1e6;

/** A pause window from `startMs` to `endMs`, and one ok create (txn `t<at>`) at each of `oksMs`, in time order. */
function run(startMs: number, endMs: number, oksMs: number[], extra: HistoryOp[] = []): HistoryOp[] {
  const specs = [
    { type: 'invoke' as const, process: 'nemesis', f: 'start-pause', value: { target: 'sm-1' }, time: startMs * ms },
    { type: 'info' as const, process: 'nemesis', f: 'start-pause', value: { target: 'sm-1' }, time: startMs * ms },
    { type: 'invoke' as const, process: 'nemesis', f: 'stop-pause', time: endMs * ms },
    { type: 'info' as const, process: 'nemesis', f: 'stop-pause', time: endMs * ms },
    ...oksMs.flatMap((t, i) => [
      { type: 'invoke' as const, process: i, f: 'create-session', time: (t - 5) * ms },
      {
        type: 'ok' as const,
        process: i,
        f: 'create-session',
        value: { sessionId: `s${t}`, txnId: `t${t}`, outcome: 'committed' },
        time: t * ms,
      },
    ]),
    ...extra,
  ].sort((a, b) => a.time - b.time);
  return ops(...specs);
}

/** A client's read invoked at `atMs` (it has no txn: an ok of it counts for the gaps only). */
const readInvoke = (process: number, atMs: number): HistoryOp => ({
  index: 0,
  type: 'invoke',
  process,
  f: 'read-session',
  value: null,
  time: atMs * ms,
});

describe('availability', () => {
  it('measures the longest gap that begins in the window, up to the next ok even after the heal', () => {
    const a = availability(run(1000, 3000, [500, 1200, 2900, 3500]), observations({}), 1000);
    expect(a.windows).toHaveLength(1);
    const w = a.windows[0]!;
    expect(w).toMatchObject({ kind: 'pause', startMs: 1000, endMs: 3000, longestGapMs: 1700, gapStartMs: 1200 });
    expect(w).toMatchObject({ cut: false, leaderLoss: false, overBound: false });
    expect(w.newLeaderMs).toBeUndefined();
    // The gap that begins at the window's last ok runs past the heal to the next one.
    expect(availability(run(1000, 3000, [1100, 2800, 4900]), observations({}), 1000).windows[0]).toMatchObject({
      longestGapMs: 2100,
      gapStartMs: 2800,
    });
    // Oks before the window do not shorten its first gap: it begins at the start.
    expect(availability(run(1000, 3000, [990, 1800]), observations({}), 1000).windows[0]).toMatchObject({
      longestGapMs: 800,
      gapStartMs: 1000,
    });
  });

  it('ends a gap still open when the clients stopped there, and says it was cut', () => {
    const lastInvoke = readInvoke(9, 5000);
    const w = availability(run(1000, 3000, [800], [lastInvoke]), observations({}), 1000).windows[0]!;
    expect(w).toMatchObject({ longestGapMs: 4000, gapStartMs: 1000, cut: true });
  });

  it('judges a leader loss by a newer epoch acquired in the window, and times the first ok the log puts under it', () => {
    const history = run(1000, 3000, [1200, 2500, 2900, 3200]);
    const obs = observations({
      leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 2000 * ms)],
      // t2500 was logged by the old leader before the pause (token 1); t2900 is the first under epoch 2.
      txn: [txn({ txnId: 't1200' }), txn({ txnId: 't2500' }), txn({ txnId: 't2900', token: 2 })],
    });
    const w = availability(history, obs, 1000).windows[0]!;
    expect(w).toMatchObject({ leaderLoss: true, newLeaderMs: 1900, longestGapMs: 1300 });
    expect(w.overBound).toBe(false);
    // The same gap over a shorter bound is flagged; with no lease known, nothing is.
    const tight = availability(history, obs, 500);
    expect(tight).toMatchObject({ boundMs: 1000, overBound: 1, leaderLossWindows: 1, worstLeaderLossGapMs: 1300 });
    expect(tight.windows[0]!.overBound).toBe(true);
    const unknownLease = availability(history, obs, undefined);
    expect(unknownLease.boundMs).toBeUndefined();
    expect(unknownLease.overBound).toBe(0);
  });

  it('is no leader loss when the newer epoch came after the window, or no ok came under it', () => {
    const history = run(1000, 3000, [1200, 2900]);
    const later = observations({ leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 3100 * ms)] });
    expect(availability(history, later, 1000).windows[0]).toMatchObject({ leaderLoss: false });
    expect(availability(history, later, 1000)).toMatchObject({ leaderLossWindows: 0, worstOtherGapMs: 1700 });
    const noNewOk = observations({
      leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 2000 * ms)],
      txn: [txn({ txnId: 't1200' }), txn({ txnId: 't2900' })],
    });
    const w = availability(history, noNewOk, 1000).windows[0]!;
    expect(w.leaderLoss).toBe(true);
    expect(w.newLeaderMs).toBeUndefined();
    expect(availabilityLines(availability(history, noNewOk, 1000)).join('\n')).toMatch(
      /first ok through the new leader never[\s\S]*worst leader loss 1\.70 s \(bound 1\.50 s, 1 over it\)/,
    );
  });

  it('gives every figure of a window exactly, and prints one line per window and the worst leader loss', () => {
    const history = run(1000, 3000, [1200, 2500, 2900, 3200]);
    const obs = observations({
      leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 2000 * ms)],
      txn: [txn({ txnId: 't1200' }), txn({ txnId: 't2500' }), txn({ txnId: 't2900', token: 2 })],
    });
    const a = availability(history, obs, 500);
    expect(a).toEqual({
      windows: [
        {
          kind: 'pause',
          label: 'pause: target sm-1',
          startMs: 1000,
          endMs: 3000,
          longestGapMs: 1300,
          gapStartMs: 1200,
          cut: false,
          leaderLoss: true,
          newLeaderMs: 1900,
          overBound: true,
        },
      ],
      boundMs: 1000,
      leaderLossWindows: 1,
      worstLeaderLossGapMs: 1300,
      overBound: 1,
    });
    expect(availabilityLines(a)).toEqual([
      'fault pause: target sm-1, 2.00 s long: longest gap without an ok 1.30 s; leader lost, first ok through the new leader after 1.90 s  OVER the bound of 1.00 s',
      'unavailability: worst leader loss 1.30 s (bound 1.00 s, 1 over it)',
    ]);
    // A window that lost no leader: no leader part, no summary line; a cut gap says so.
    const lastInvoke = readInvoke(9, 4000);
    const quiet = availability(run(1000, 3000, [1200], [lastInvoke]), observations({}), 2000);
    expect(quiet).toEqual({
      windows: [expect.objectContaining({ longestGapMs: 2800, gapStartMs: 1200, cut: true, leaderLoss: false })],
      boundMs: 2500,
      leaderLossWindows: 0,
      worstOtherGapMs: 2800,
      overBound: 0,
    });
    expect(availabilityLines(quiet)).toEqual([
      'fault pause: target sm-1, 2.00 s long: longest gap without an ok 2.80 s (to the end of the run)',
    ]);
    expect(availability([], observations({}), 2000)).toEqual({
      windows: [],
      boundMs: 2500,
      leaderLossWindows: 0,
      overBound: 0,
    });
  });

  it('counts only a newer epoch acquired as a leader loss, and only oks naming a logged txn as through it', () => {
    // A step-down inside the window, or an acquire of the epoch already leading, is no new leader.
    const history = run(1000, 3000, [1200, 2900]);
    const notNew = observations({
      leader: [leader('sm-1', 2, 0), leader('sm-1', 2, 1500 * ms, 'step-down'), leader('sm-2', 2, 1600 * ms)],
      txn: [txn({ txnId: 't2900', token: 3 })],
    });
    expect(availability(history, notNew, 1000).windows[0]).toMatchObject({ leaderLoss: false });
    expect(availability(history, notNew, 1000).windows[0]!.newLeaderMs).toBeUndefined();
    // An ok whose value names no txn (a read), or a txn the log does not hold, is an ok for the gap but not one
    // through the new leader.
    const read = {
      index: 0,
      type: 'ok' as const,
      process: 7,
      f: 'read-session',
      value: { sessionId: 's1', status: 'COMMITTED' },
      time: 2100 * ms,
    };
    const newer = observations({
      leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 2000 * ms)],
      txn: [txn({ txnId: 't3300', token: 2 })],
    });
    const w = availability(run(1000, 3000, [1200, 2900, 3300], [readInvoke(7, 2050), read]), newer, 1000).windows[0]!;
    expect(w).toMatchObject({ leaderLoss: true, newLeaderMs: 2300, longestGapMs: 900, gapStartMs: 1200 });
  });

  it('bounds a leader loss by the lease plus 500 ms', () => {
    expect(leaderLossBoundMs(2000)).toBe(2500);
  });

  it('is carried by the stats checker, with the windows and leader losses it measured as its coverage', () => {
    const history = run(1000, 3000, [1200, 2900]);
    const obs = observations({
      leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 2000 * ms)],
      txn: [txn({ txnId: 't1200' }), txn({ txnId: 't2900', token: 2 })],
    });
    const r = stats.check(history, obs, { leaseTtlMs: 1000 });
    expect(r.valid).toBe(true);
    expect(r.stats).toMatchObject({ faultWindows: 1, leaderLosses: 1 });
    expect(r.stats.availability).toMatchObject({ boundMs: 1500, overBound: 1 });
  });
  describe('the edges of each figure (issue 30)', () => {
    /** Another pause window, invoked and healed as the nemesis writes it. */
    const pause = (startMs: number, endMs: number): HistoryOp[] =>
      ops(
        { type: 'invoke', process: 'nemesis', f: 'start-pause', value: { target: 'sm-2' }, time: startMs * ms },
        { type: 'info', process: 'nemesis', f: 'start-pause', value: { target: 'sm-2' }, time: startMs * ms },
        { type: 'invoke', process: 'nemesis', f: 'stop-pause', time: endMs * ms },
        { type: 'info', process: 'nemesis', f: 'stop-pause', time: endMs * ms },
      );

    it('ends a window never healed with the history, and its gap where the clients stopped', () => {
      // The pause starts at 1000 and is never stopped; the last op is a read invoked at 4500.
      const history = run(1000, 3000, [1200, 2000], [readInvoke(9, 4500)]).filter((op) => op.f !== 'stop-pause');
      const w = availability(ops(...history), observations({}), 1000).windows[0]!;
      expect(w).toMatchObject({ startMs: 1000, endMs: 4500, longestGapMs: 2500, gapStartMs: 2000, cut: true });
    });

    it('cuts a gap where the clients stopped, even when the heal came later', () => {
      const w = availability(run(1000, 3000, [800], [readInvoke(9, 2000)]), observations({}), 1000).windows[0]!;
      expect(w).toMatchObject({ longestGapMs: 1000, gapStartMs: 1000, cut: true });
    });

    it('counts an ok whose value names nothing (a register write) for the gaps', () => {
      const write = [
        { index: 0, type: 'invoke' as const, process: 8, f: 'write', value: 1, time: 1900 * ms },
        { index: 0, type: 'ok' as const, process: 8, f: 'write', value: null, time: 2000 * ms },
      ];
      const w = availability(run(1000, 3000, [1200, 2900], write), observations({}), 1000).windows[0]!;
      expect(w).toMatchObject({ longestGapMs: 900, gapStartMs: 2000 });
    });

    it('of gaps of equal length, names the first', () => {
      const w = availability(run(1000, 3000, [1500, 2000, 2500, 3000]), observations({}), 1000).windows[0]!;
      expect(w).toMatchObject({ longestGapMs: 500, gapStartMs: 1000, cut: false });
      // A gap cut by the end of the run, as long as an earlier one, is not the longest either.
      const cutTie = availability(run(1000, 3000, [1500], [readInvoke(9, 2000)]), observations({}), 1000);
      expect(cutTie.windows[0]).toMatchObject({ longestGapMs: 500, gapStartMs: 1000, cut: false });
    });

    it('counts the gap that begins with an ok at the very end of the window', () => {
      const w = availability(run(1000, 3000, [1500, 3000, 5000]), observations({}), 1000).windows[0]!;
      expect(w).toMatchObject({ longestGapMs: 2000, gapStartMs: 3000, cut: false });
    });

    it('takes an epoch acquired at the very start as the one leading, and one at the very end as a loss', () => {
      const history = run(1000, 3000, [1200, 2900]);
      const atStart = observations({
        leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 1000 * ms), leader('sm-3', 3, 2000 * ms)],
        // t1200 was logged under epoch 2, which led from the start: not through the new leader.
        txn: [txn({ txnId: 't1200', token: 2 }), txn({ txnId: 't2900', token: 3 })],
      });
      expect(availability(history, atStart, 1000).windows[0]).toMatchObject({ leaderLoss: true, newLeaderMs: 1900 });
      const onlyAtStart = observations({ leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 1000 * ms)] });
      expect(availability(history, onlyAtStart, 1000).windows[0]).toMatchObject({ leaderLoss: false });
      const atEnd = observations({ leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 3000 * ms)] });
      expect(availability(history, atEnd, 1000).windows[0]).toMatchObject({ leaderLoss: true });
    });

    it('counts through the new leader only oks after the start, whatever token they carry', () => {
      const history = run(1000, 3000, [900, 1000, 2900]);
      const obs = observations({
        leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 2000 * ms)],
        txn: [txn({ txnId: 't900', token: 2 }), txn({ txnId: 't1000', token: 2 }), txn({ txnId: 't2900', token: 2 })],
      });
      expect(availability(history, obs, 1000).windows[0]).toMatchObject({ leaderLoss: true, newLeaderMs: 1900 });
    });

    it('flags a leader loss only over the bound, not at it', () => {
      const history = run(1000, 3000, [1200, 2500, 2900, 3200]);
      const obs = observations({
        leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 2000 * ms)],
        txn: [txn({ txnId: 't2900', token: 2 })],
      });
      // The longest gap is 1300 ms; the bound is the lease plus 500 ms.
      expect(availability(history, obs, 800)).toMatchObject({ boundMs: 1300, overBound: 0 });
      expect(availability(history, obs, 799)).toMatchObject({ boundMs: 1299, overBound: 1 });
    });

    it('gives the worst gap of the leader-loss windows and of the others apart, and prints no bound unknown', () => {
      const history = ops(
        ...[...run(1000, 3000, [1200, 2900, 4000, 5200, 5900, 6500, 9000]), ...pause(5000, 6000), ...pause(7000, 8000)]
          .sort((a, b) => a.time - b.time)
          .map(({ index: _, ...op }) => op),
      );
      const obs = observations({
        leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 5500 * ms)],
        txn: [txn({ txnId: 't5900', token: 2 })],
      });
      const a = availability(history, obs, undefined);
      expect(a.windows.map((w) => [w.startMs, w.longestGapMs, w.gapStartMs, w.leaderLoss, w.newLeaderMs])).toEqual([
        [1000, 1700, 1200, false, undefined],
        [5000, 700, 5200, true, 900],
        [7000, 2000, 7000, false, undefined],
      ]);
      expect(a).toMatchObject({ leaderLossWindows: 1, worstLeaderLossGapMs: 700, worstOtherGapMs: 2000, overBound: 0 });
      expect(a.boundMs).toBeUndefined();
      expect(availabilityLines(a)).toEqual([
        'fault pause: target sm-1, 2.00 s long: longest gap without an ok 1.70 s',
        'fault pause: target sm-2, 1.00 s long: longest gap without an ok 0.70 s; leader lost, first ok through the new leader after 0.90 s',
        'fault pause: target sm-2, 1.00 s long: longest gap without an ok 2.00 s',
        'unavailability: worst leader loss 0.70 s',
      ]);
    });
    it('takes a leader only from its acquire: a step-down of an epoch never acquired on record is no new leader', () => {
      const history = run(1000, 3000, [1200, 2900]);
      const stepDownOnly = observations({
        leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 1500 * ms, 'step-down')],
        txn: [txn({ txnId: 't2900', token: 2 })],
      });
      expect(availability(history, stepDownOnly, 1000).windows[0]).toMatchObject({ leaderLoss: false });
      // Nor does a step-down before the start say which epoch led then.
      const before = observations({
        leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 500 * ms, 'step-down'), leader('sm-2', 2, 2000 * ms)],
        txn: [txn({ txnId: 't2900', token: 2 })],
      });
      expect(availability(history, before, 1000).windows[0]).toMatchObject({ leaderLoss: true, newLeaderMs: 1900 });
    });

    it('gives a window the clients had left before it a gap of zero, not cut', () => {
      const w = availability(run(1000, 3000, [500]), observations({}), 1000).windows[0]!;
      expect(w).toMatchObject({ longestGapMs: 0, gapStartMs: 1000, cut: false });
    });

    it('leaves out the bound and each worst gap it has no figure for, rather than giving them as undefined', () => {
      const history = run(1000, 3000, [1200, 2900]);
      expect(Object.keys(availability(history, observations({}), undefined))).toEqual([
        'windows',
        'leaderLossWindows',
        'worstOtherGapMs',
        'overBound',
      ]);
      const lost = observations({ leader: [leader('sm-1', 1, 0), leader('sm-2', 2, 2000 * ms)] });
      expect(Object.keys(availability(history, lost, 1000))).toEqual([
        'windows',
        'boundMs',
        'leaderLossWindows',
        'worstLeaderLossGapMs',
        'overBound',
      ]);
    });
  });
});
