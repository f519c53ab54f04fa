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
});
