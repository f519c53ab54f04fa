// Unavailability in each fault window, from two sources: the clients' history (when requests completed ok) and the
// transaction log (under which leader's epoch each completed transaction was logged), with the leaders' own records
// for which epoch led when the fault began.
// - `longestGapMs`: the longest stretch without any ok completion that begins inside the window (at its start at the
//   earliest) and runs to the next ok, which may come after the heal. A gap still open when the clients stopped ends
//   there, and says so (`cut`).
// - `newLeaderMs`: from the fault's start to the first ok of a transaction logged under an epoch newer than the one
//   leading at the start: how long clients waited for a new leader to serve them. Only when a new epoch was acquired
//   during the window (a leader-loss window).
// A leader-loss window whose gap exceeds the bound (`leaderLossBoundMs`) is flagged, as a figure: the stats checker
// reports it and the run's verdict does not depend on it (a slow machine makes it longer, not wrong).
import { faultWindows, nemesisOps } from '../format/fault-windows.ts';
import { type HistoryOp, NEMESIS } from '../format/history.ts';
import type { Observations } from '../format/observations.ts';
import { isPlainObject } from '../format/schema.ts';

/**
 * The unavailability a leader loss may cost (docs/system.md, "Failover"): the lease must lapse (at most its TTL after
 * the fault began), a follower takes the lock as it lapses, and the gateway finds the new leader and retries there.
 * The election, its takeover and the retry are budgeted 500 ms together.
 */
export function leaderLossBoundMs(leaseTtlMs: number): number {
  return leaseTtlMs + 500;
}

export interface WindowAvailability {
  kind: string;
  label: string;
  /** The window, ms on the history's timeline. */
  startMs: number;
  endMs: number;
  longestGapMs: number;
  /** Where the longest gap began (ms). */
  gapStartMs: number;
  /** The longest gap was still open when the clients stopped: it ends there. */
  cut: boolean;
  /** A new epoch was acquired between the window's start and its end. */
  leaderLoss: boolean;
  /** From the start to the first ok of a transaction logged under a newer epoch; absent if none came. */
  newLeaderMs?: number;
  /** A leader-loss window whose gap exceeded the bound. */
  overBound: boolean;
}

export interface Availability {
  windows: WindowAvailability[];
  /** The bound leader-loss windows are held to (ms); absent when the run's lease is not known. */
  boundMs?: number;
  leaderLossWindows: number;
  /** The longest gap of any leader-loss window, and of any other window (ms). */
  worstLeaderLossGapMs?: number;
  worstOtherGapMs?: number;
  overBound: number;
}

const ms = (ns: number) => ns / 1e6;

/** The txnId an ok op's value names, if any (sessions' answers carry it). */
function txnIdOf(op: HistoryOp): string | undefined {
  const v = op.value;
  return isPlainObject(v) && typeof v.txnId === 'string' ? v.txnId : undefined;
}

export function availability(
  history: readonly HistoryOp[],
  observations: Observations,
  leaseTtlMs: number | undefined,
): Availability {
  const oks: number[] = [];
  const okTxns: Array<{ atMs: number; txnId: string }> = [];
  let clientsEndMs = 0;
  for (const op of history) {
    if (op.process === NEMESIS) continue;
    clientsEndMs = Math.max(clientsEndMs, ms(op.time));
    if (op.type !== 'ok') continue;
    oks.push(ms(op.time));
    const txnId = txnIdOf(op);
    if (txnId) okTxns.push({ atMs: ms(op.time), txnId });
  }
  // No sort: a history is in time order (pairHistory refuses any other), so the oks come sorted.
  const tokenOf = new Map(observations.txn.map((t) => [t.txnId, t.token]));
  const acquires = observations.leader
    .filter((l) => l.event === 'acquire')
    .map((l) => ({ atMs: ms(l.at), epoch: l.epoch }));
  const boundMs = leaseTtlMs === undefined ? undefined : leaderLossBoundMs(leaseTtlMs);
  const endMs = history.length > 0 ? ms(history[history.length - 1]!.time) : 0;

  const windows = faultWindows(nemesisOps(history), endMs).windows.map((w): WindowAvailability => {
    // The longest gap between oks that begins in [start, end]; the first begins at the start.
    let longestGapMs = 0;
    let gapStartMs = w.startMs;
    let cut = false;
    let from = w.startMs;
    let i = oks.findIndex((t) => t > w.startMs);
    for (;;) {
      const next = i < 0 || i >= oks.length ? undefined : oks[i]!;
      const to = next ?? Math.max(from, clientsEndMs);
      if (to - from > longestGapMs) {
        longestGapMs = to - from;
        gapStartMs = from;
        cut = next === undefined;
      }
      if (next === undefined || next > w.endMs) break;
      from = next;
      i++;
    }
    const epochAtStart = acquires.filter((a) => a.atMs <= w.startMs).reduce((e, a) => Math.max(e, a.epoch), 0);
    const leaderLoss = acquires.some((a) => a.atMs > w.startMs && a.atMs <= w.endMs && a.epoch > epochAtStart);
    const firstNew = leaderLoss
      ? okTxns.find((o) => o.atMs > w.startMs && (tokenOf.get(o.txnId) ?? 0) > epochAtStart)
      : undefined;
    return {
      kind: w.kind,
      label: w.label,
      startMs: w.startMs,
      endMs: w.endMs,
      longestGapMs: Math.round(longestGapMs),
      gapStartMs: Math.round(gapStartMs),
      cut,
      leaderLoss,
      ...(firstNew ? { newLeaderMs: Math.round(firstNew.atMs - w.startMs) } : {}),
      overBound: leaderLoss && boundMs !== undefined && longestGapMs > boundMs,
    };
  });
  const worst = (list: WindowAvailability[]) =>
    list.length === 0 ? undefined : Math.max(...list.map((w) => w.longestGapMs));
  const lost = windows.filter((w) => w.leaderLoss);
  const worstLeaderLossGapMs = worst(lost);
  const worstOtherGapMs = worst(windows.filter((w) => !w.leaderLoss));
  return {
    windows,
    ...(boundMs === undefined ? {} : { boundMs }),
    leaderLossWindows: lost.length,
    ...(worstLeaderLossGapMs === undefined ? {} : { worstLeaderLossGapMs }),
    ...(worstOtherGapMs === undefined ? {} : { worstOtherGapMs }),
    overBound: windows.filter((w) => w.overBound).length,
  };
}

/** One line per window, for `rig run`'s summary. */
export function availabilityLines(a: Availability): string[] {
  const s = (msValue: number) => `${(msValue / 1000).toFixed(2)} s`;
  const lines = a.windows.map((w) => {
    const gap = `longest gap without an ok ${s(w.longestGapMs)}${w.cut ? ' (to the end of the run)' : ''}`;
    const leader = w.leaderLoss
      ? `; leader lost, first ok through the new leader ${w.newLeaderMs === undefined ? 'never' : `after ${s(w.newLeaderMs)}`}`
      : '';
    const flag = w.overBound ? `  OVER the bound of ${s(a.boundMs!)}` : '';
    return `fault ${w.label}, ${s(w.endMs - w.startMs)} long: ${gap}${leader}${flag}`;
  });
  if (a.leaderLossWindows > 0) {
    const bound = a.boundMs === undefined ? '' : ` (bound ${s(a.boundMs)}, ${a.overBound} over it)`;
    lines.push(`unavailability: worst leader loss ${s(a.worstLeaderLossGapMs!)}${bound}`);
  }
  return lines;
}
