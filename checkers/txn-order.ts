// The order in which one session's transactions ran, read without a clock. A session's transactions are serialized
// by its DSM record: a modify or release can claim the record only once the transaction before it has written its
// decision there, so the versions of the DSM writes naming each transaction form disjoint, increasing ranges, and a
// transaction's lowest version places it among its session's. Wall-clock times (the log's `decidedAt`) order them
// only where the DSM is silent: a node's clock can be skewed, and moved, in the middle of a run.
import type { Observations } from '../format/observations.ts';

/** txn id -> the lowest version among the DSM writes that name it (writes without a txn id name none). */
export function dsmRanks(obs: Observations): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of obs.dsm) {
    if (r.txnId === undefined) continue;
    const seen = out.get(r.txnId);
    if (seen === undefined || r.version < seen) out.set(r.txnId, r.version);
  }
  return out;
}

export interface RunOrder<T> {
  ordered: T[];
  /** Ordered by the DSM's versions (exact); false: by the fallback time, which a skewed clock can misorder. */
  byDsm: boolean;
  /** Placed last because the DSM names no write of theirs while it orders the rest: their place is unknown. */
  unplaced: ReadonlySet<T>;
}

/**
 * One session's transactions in the order they ran: by their DSM rank when every one that `must` be placed has a
 * rank (the others, without one, go last and are `unplaced`), else all by `timeOf`. Both sorts are stable.
 */
export function runOrder<T>(
  txns: readonly T[],
  idOf: (t: T) => string,
  ranks: ReadonlyMap<string, number>,
  timeOf: (t: T) => number,
  must: (t: T) => boolean = () => true,
): RunOrder<T> {
  const byDsm = txns.every((t) => !must(t) || ranks.has(idOf(t)));
  const unplaced = new Set(byDsm ? txns.filter((t) => !ranks.has(idOf(t))) : []);
  const keyOf = byDsm ? (t: T) => ranks.get(idOf(t)) ?? Number.POSITIVE_INFINITY : timeOf;
  const keyed = txns.map((t, i) => ({ t, i, key: keyOf(t) }));
  keyed.sort((a, b) => a.key - b.key || a.i - b.i);
  return { ordered: keyed.map((k) => k.t), byDsm, unplaced };
}
