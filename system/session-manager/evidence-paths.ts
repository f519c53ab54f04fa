// The recovery paths the session managers took, from their own log lines (format/observations.ts `path`): each
// leader's take-over of an unfinished transaction (the finisher logs `recovery` on every pass that drives it; one
// record per leader and transaction), and the relay's re-sends (it logs `relay-append` with the txn ids of each
// append, before its crash point; a txn id appended again, by any node, is a re-send).
import type { PathRecord } from '../../format/observations.ts';
import type { ObservationLine } from '../common/log.ts';
import type { ToNs } from './evidence.ts';

export function readSessionManagerPaths(
  logs: ReadonlyArray<{ node: string; lines: readonly ObservationLine[] }>,
  toNs: ToNs,
): PathRecord[] {
  const recoveries = new Map<string, PathRecord>();
  const appends: Array<{ node: string; txnId: string; t: number }> = [];
  for (const { node, lines } of logs) {
    for (const o of lines) {
      if (o.obs === 'recovery') {
        const key = `${node}|${o.txnId}|${o.token}`;
        if (recoveries.has(key)) continue;
        const outcome = o.decided === true ? 'decided' : 'undecided';
        recoveries.set(key, { kind: 'path', name: 'recovery', node, txnId: String(o.txnId), outcome, at: toNs(o.t) });
      } else if (o.obs === 'relay-append' && Array.isArray(o.txnIds)) {
        for (const txnId of o.txnIds) appends.push({ node, txnId: String(txnId), t: o.t });
      }
    }
  }
  return [...recoveries.values(), ...resends(appends, toNs)];
}

/** Every append of a txn id after its first (in time, across nodes) is a re-send. */
function resends(appends: Array<{ node: string; txnId: string; t: number }>, toNs: ToNs): PathRecord[] {
  const seen = new Set<string>();
  const out: PathRecord[] = [];
  for (const a of [...appends].sort((x, y) => x.t - y.t)) {
    if (seen.has(a.txnId))
      out.push({ kind: 'path', name: 'relay-resend', node: a.node, txnId: a.txnId, at: toNs(a.t) });
    seen.add(a.txnId);
  }
  return out;
}
