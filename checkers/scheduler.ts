// Scheduler (spec section 8): voice before video before data, with bounded aging. Two sources: the clients'
// create-session invocations (the traffic class each request asked for, by requestId) and the leader's scheduler's
// own `queue` records (what it started or shed, in the exact order of one counter per scheduler start). The policy
// is written here from docs/system.md, never imported from system/:
// - a lower-class request is started while a higher-class one waits only when it is promoted: it has waited at
//   least the aging bound (`agingMs`), and it was enqueued no later than every waiting higher-class request. So a
//   voice request never waits while a younger data request runs, nor while a data request younger than the bound
//   runs; either is a `priority-inversion`.
// - the class the scheduler queued a request under is the class its client asked for (`class-mismatch`);
// - one queue entry leaves the queue once (`dequeued-twice`).
import { type HistoryOp, SESSION_F } from '../format/history.ts';
import type { Observations, QueueRecord } from '../format/observations.ts';
import { groupBy, sortedBy } from './collections.ts';
import { type AnomalyLog, anomalyLog, type Checker } from './result.ts';
import { opIndices, sessionRequest, txnOps } from './sessions.ts';

/** docs/api.md: the traffic classes and the aliases the gateway accepts for them (any case). */
const documentedClasses: Readonly<Record<string, string>> = {
  voice: 'voice',
  voip: 'voice',
  audio: 'voice',
  conversational: 'voice',
  video: 'video',
  streaming: 'video',
  data: 'data',
  internet: 'data',
  'best-effort': 'data',
  besteffort: 'data',
  background: 'data',
};
const rank: Readonly<Record<string, number>> = { voice: 2, video: 1, data: 0 };
const classes = ['voice', 'video', 'data'] as const;
/** The records carry scheduler times to the microsecond: a wait this close to the bound is not judged short. */
const roundingMs = 0.002;

/** What each client request asked for: its canonical class and the history indices of its ops. */
interface Asked {
  cls: string | undefined;
  ops: number[];
}

function askedClasses(history: readonly HistoryOp[]): Map<string, Asked> {
  const out = new Map<string, Asked>();
  // Creates, and the modifies that name a class (a release, or a modify of the cells alone, is queued under the
  // session's class, which its client need not know).
  for (const op of txnOps(history)) {
    const { requestId, trafficClass } = sessionRequest(history[op.invoke]!.value);
    if (requestId === undefined || (op.f !== SESSION_F.create && trafficClass === undefined)) continue;
    const cls = trafficClass === undefined ? undefined : documentedClasses[trafficClass.trim().toLowerCase()];
    const seen = out.get(requestId);
    if (seen) seen.ops.push(...opIndices(op));
    else out.set(requestId, { cls, ops: opIndices(op) });
  }
  return out;
}

const entryKey = (r: QueueRecord) => `${r.node}#${r.incarnation}:${r.enqueueSeq}`;
const waitMs = (r: QueueRecord) => r.atMs - r.enqueuedMs;
const describe = (r: QueueRecord) => `${r.trafficClass} ${r.requestId ?? `entry ${r.enqueueSeq}`}`;

interface Judged {
  /** Started entries chosen while a request of another class waited: the scheduler's priority decisions. */
  contended: number;
  /** Started entries that were not the next event after their offer: they waited behind others. */
  waited: number;
  /** The longest a higher-class request was waiting when a lower class was started (ms). */
  promotedOverMaxMs: number;
}

/**
 * One scheduler incarnation, swept in its counter's order: at each start, the higher-class requests still waiting
 * are those offered before it and settled after it.
 */
function judgeIncarnation(records: readonly QueueRecord[], ask: Map<string, Asked>, out: AnomalyLog, j: Judged) {
  type Event = { tick: number; r: QueueRecord; end: boolean };
  const events: Event[] = [];
  for (const r of records) {
    if (r.outcome === 'full') continue; // refused at the door: never waited
    events.push({ tick: r.enqueueSeq, r, end: false }, { tick: r.seq, r, end: true });
  }
  const waiting: Record<string, Map<string, QueueRecord>> = { voice: new Map(), video: new Map(), data: new Map() };
  for (const { r, end } of sortedBy(events, (e) => e.tick)) {
    const lane = waiting[r.trafficClass]!;
    if (!end) {
      lane.set(entryKey(r), r);
      continue;
    }
    lane.delete(entryKey(r));
    if (r.outcome !== 'started') continue;
    if (r.seq > r.enqueueSeq + 1) j.waited++;
    if (classes.some((c) => c !== r.trafficClass && waiting[c]!.size > 0)) j.contended++;
    for (const c of classes) {
      if (rank[c]! > rank[r.trafficClass]!) judgeStart(r, waiting[c]!, ask, out, j);
    }
  }
}

/** `r` (a lower class) started while `higher` waited: allowed only if promoted. */
function judgeStart(
  r: QueueRecord,
  higher: Map<string, QueueRecord>,
  ask: Map<string, Asked>,
  out: AnomalyLog,
  j: Judged,
) {
  let oldest: QueueRecord | undefined;
  for (const h of higher.values()) if (!oldest || h.enqueuedMs < oldest.enqueuedMs) oldest = h;
  if (!oldest) return;
  const heldMs = r.atMs - oldest.enqueuedMs;
  j.promotedOverMaxMs = Math.max(j.promotedOverMaxMs, heldMs);
  const ops = [...(ask.get(r.requestId ?? '')?.ops ?? []), ...(ask.get(oldest.requestId ?? '')?.ops ?? [])];
  const details = { node: r.node, started: entryKey(r), waiting: entryKey(oldest), waitedMs: waitMs(r), heldMs };
  const who = `${describe(r)} started after ${fmt(waitMs(r))} while ${describe(oldest)} had waited ${fmt(heldMs)}`;
  if (oldest.enqueuedMs < r.enqueuedMs) {
    out.add('priority-inversion', entryKey(r), ops, `${who}, though it was queued first`, details);
  } else if (r.agingMs !== undefined && waitMs(r) < r.agingMs - roundingMs) {
    out.add('priority-inversion', entryKey(r), ops, `${who}, before the aging bound of ${r.agingMs} ms`, details);
  }
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** The class the scheduler queued under against the class the client asked for. */
function judgeClass(r: QueueRecord, ask: Map<string, Asked>, out: AnomalyLog): boolean {
  const asked = r.requestId === undefined ? undefined : ask.get(r.requestId);
  if (!asked) return false;
  if (asked.cls !== undefined && asked.cls !== r.trafficClass) {
    const says = `request ${r.requestId} asked for ${asked.cls} and was queued as ${r.trafficClass}`;
    out.add('class-mismatch', entryKey(r), asked.ops, says, { node: r.node, asked: asked.cls, queued: r.trafficClass });
  }
  return true;
}

function judgeOnce(records: readonly QueueRecord[], ask: Map<string, Asked>, out: AnomalyLog): void {
  for (const [key, same] of groupBy(records, entryKey)) {
    if (same.length < 2) continue;
    const ops = same.flatMap((r) => ask.get(r.requestId ?? '')?.ops ?? []);
    const what = same.map((r) => `${r.outcome} at ${r.seq}`).join(', ');
    out.add(
      'dequeued-twice',
      key,
      [...new Set(ops)],
      `one queue entry (${describe(same[0]!)}) left ${same.length} times: ${what}`,
    );
  }
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function delays(records: readonly QueueRecord[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const cls of classes) {
    const ms = records.filter((r) => r.trafficClass === cls && r.outcome === 'started').map(waitMs);
    ms.sort((a, b) => a - b);
    const round = (v: number) => Math.round(v * 100) / 100;
    out[cls] = {
      n: ms.length,
      p50: round(quantile(ms, 0.5)),
      p99: round(quantile(ms, 0.99)),
      max: round(ms.at(-1) ?? 0),
    };
  }
  return out;
}

export const scheduler: Checker = {
  name: 'scheduler',
  coverage: ['entries', 'waited'],
  check(history, observations: Observations, opts) {
    const out = anomalyLog(opts);
    const ask = askedClasses(history);
    const records = observations.queue;
    const j: Judged = { contended: 0, waited: 0, promotedOverMaxMs: 0 };
    let linked = 0;
    for (const r of records) if (judgeClass(r, ask, out)) linked++;
    judgeOnce(records, ask, out);
    for (const group of groupBy(records, (r) => `${r.node}#${r.incarnation}`).values()) {
      judgeIncarnation(group, ask, out, j);
    }
    const outcomes: Record<string, number> = {};
    for (const r of records) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    return out.result({
      entries: records.length,
      waited: j.waited,
      contended: j.contended,
      linked,
      outcomes,
      queueDelayMs: delays(records),
      promotedOverMaxMs: Math.round(j.promotedOverMaxMs * 100) / 100,
    });
  },
};
