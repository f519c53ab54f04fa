// Stream ordering: per session, the events' sequence numbers run 1, 2, 3... in stream order with no gap or repeat;
// each decided transaction has exactly one event and it carries the logged outcome; undecided ones have none; and a
// session's events (created, modified..., released) come in the order its transactions ran, which the DSM's versions
// tell without a clock (txn-order.ts).

import type { EventRecord } from '../format/observations.ts';
import { groupBy, indexBy } from './collections.ts';
import { pathCounts } from './paths.ts';
import { type AnomalyLog, anomalyLog, type Checker } from './result.ts';
import { linkClientOps, opIndices } from './sessions.ts';
import { dsmRanks } from './txn-order.ts';

/** Redis stream ids are "<ms>-<seq>", ordered by both numbers; ids of another shape keep file order. */
function streamOrder(events: readonly EventRecord[]): readonly EventRecord[] {
  const ms = new Float64Array(events.length);
  const seq = new Float64Array(events.length);
  events.forEach((e, i) => {
    const dash = e.entryId.indexOf('-');
    ms[i] = dash < 0 ? 0 : Number(e.entryId.slice(0, dash)) || 0;
    seq[i] = dash < 0 ? 0 : Number(e.entryId.slice(dash + 1)) || 0;
  });
  const compare = (a: number, b: number) => ms[a]! - ms[b]! || seq[a]! - seq[b]! || a - b;
  // Stryker disable next-line BooleanLiteral: a fast path; starting from false sorts a sorted list again (stably)
  let ordered = true;
  // Stryker disable next-line ArithmeticOperator: i + 1 reaches past the end, read as unordered: sorted anyway
  for (let i = 1; i < events.length && ordered; i++) ordered = compare(i - 1, i) < 0;
  if (ordered) return events;
  return Array.from(Uint32Array.from(events, (_, i) => i).sort(compare), (i) => events[i]!);
}

function checkSession(sessionId: string, events: readonly EventRecord[], out: AnomalyLog, opsOf: OpsOf): void {
  const seen = new Set<number>();
  let highest = 0;
  for (const e of events) {
    if (seen.has(e.seq)) {
      out.add('duplicate-event', sessionId, opsOf(e.txnId), `sequence ${e.seq} appears twice (${e.entryId})`);
      continue;
    }
    if (e.seq < highest) {
      out.add(
        'non-monotonic-sequence',
        sessionId,
        opsOf(e.txnId),
        `sequence ${e.seq} (${e.entryId}, txn ${e.txnId}) after sequence ${highest}`,
      );
    }
    seen.add(e.seq);
    highest = Math.max(highest, e.seq);
  }
  for (let s = 1; s < highest; s++) {
    if (!seen.has(s)) out.add('skipped-sequence', sessionId, [], `sequence ${s} missing below ${highest}`);
  }
}

type OpsOf = (txnId: string) => number[];

/**
 * A session's events in stream order against the order its transactions ran (each txn's lowest DSM version): an
 * event whose txn ran before the txn of an event already read was emitted out of order. Events of txns the DSM does
 * not name, and repeats of a txn's event, are skipped. Returns how many events were compared with an earlier one.
 */
function checkDecisionOrder(
  sessionId: string,
  events: readonly EventRecord[],
  ranks: ReadonlyMap<string, number>,
  out: AnomalyLog,
  opsOf: OpsOf,
): number {
  let latest: { e: EventRecord; rank: number } | undefined;
  let compared = 0;
  const seen = new Set<string>();
  for (const e of events) {
    const rank = ranks.get(e.txnId);
    // A txn's second event is a duplicate (reported as such), not a second place in the order.
    if (rank === undefined || seen.has(e.txnId)) continue;
    seen.add(e.txnId);
    if (latest) {
      compared++;
      if (rank < latest.rank) {
        const says =
          `event ${e.entryId} (seq ${e.seq}, txn ${e.txnId}) comes after ${latest.e.entryId} (txn ${latest.e.txnId}), ` +
          `but ${e.txnId} ran first (DSM version ${rank} before ${latest.rank})`;
        out.add('event-order-mismatch', sessionId, [...opsOf(e.txnId), ...opsOf(latest.e.txnId)], says);
        continue;
      }
    }
    latest = { e, rank };
  }
  return compared;
}

export const streamOrdering: Checker = {
  name: 'stream-ordering',
  coverage: ['events', 'sessions', 'multiEventSessions', 'orderedEvents', 'relayResends'],
  check(history, observations, opts) {
    const out = anomalyLog(opts);
    const { byTxn } = linkClientOps(history, observations);
    const opsOf: OpsOf = (txnId) => (byTxn.get(txnId) ?? []).flatMap(opIndices);
    const events = streamOrder(observations.event);
    const txns = indexBy(observations.txn, (t) => t.txnId);
    const perSession = groupBy(events, (e) => e.sessionId);
    const ranks = dsmRanks(observations);
    let orderedEvents = 0;
    for (const [sessionId, list] of perSession) {
      checkSession(sessionId, list, out, opsOf);
      orderedEvents += checkDecisionOrder(sessionId, list, ranks, out, opsOf);
    }

    const byTxnEvents = groupBy(events, (e) => e.txnId);
    for (const [txnId, list] of byTxnEvents) {
      const first = list[0]!;
      if (list.length > 1) {
        const ids = list.map((e) => e.entryId).join(', ');
        out.add('duplicate-event', txnId, opsOf(txnId), `${list.length} events for one transaction: ${ids}`);
      }
      const logged = txns.get(txnId);
      if (!logged || (logged.state !== 'committed' && logged.state !== 'aborted')) {
        const state = logged ? `is ${logged.state}` : 'is not in the log';
        out.add(
          'event-for-undecided',
          txnId,
          opsOf(txnId),
          `event ${first.entryId} (${first.outcome}) but txn ${state}`,
        );
      } else {
        const wrong = list.find((e) => e.outcome !== logged.state);
        if (wrong) {
          const says = `event ${wrong.entryId} says ${wrong.outcome}, log says ${logged.state}`;
          out.add('outcome-mismatch', txnId, opsOf(txnId), says);
        }
      }
    }
    // Every decided txn without an event is counted in the stats and listed as its own anomaly (the log caps the
    // list, never the count). No stream collected at all is a missing source, not a lost event per transaction.
    let decidedTxns = 0;
    let withoutEvent = 0;
    for (const t of observations.txn) {
      if (t.state !== 'committed' && t.state !== 'aborted') continue;
      decidedTxns++;
      if (byTxnEvents.has(t.txnId)) continue;
      withoutEvent++;
      if (events.length > 0) {
        out.add('lost-event', t.txnId, opsOf(t.txnId), `txn ${t.state} in the log but no event in the stream`);
      }
    }
    // Per-session order is only tested by a session with two events or more: with one each, it cannot be broken.
    const multiEventSessions = [...perSession.values()].filter((list) => list.length > 1).length;
    // A session with three events or more (created, modified..., released) orders its changes among themselves too.
    const longSessions = [...perSession.values()].filter((list) => list.length > 2).length;
    const { relayResends } = pathCounts(observations.path);
    return out.result({
      events: events.length,
      sessions: perSession.size,
      multiEventSessions,
      sessionsWith3Events: longSessions,
      orderedEvents,
      decidedTxns,
      withoutEvent,
      relayResends,
    });
  },
};
