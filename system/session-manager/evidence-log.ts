// The session managers' evidence for the rig from their own logs (one pass over each node's observation lines):
// the votes each coordinator received, every leadership change and every deadlock the leader's detector found.

import type { QueueRecord } from '../../format/observations.ts';
import { type DeadlockRecord, deadlockRecord, type LeaderRecord, leaderRecord } from '../../format/observations.ts';
import type { ObservationLine } from '../common/log.ts';
import type { ToNs } from './evidence.ts';
import { QueueReader } from './evidence-queue.ts';

export interface SessionManagerLogs {
  /** Per txn, the votes its coordinator received, by participant. */
  votes: Map<string, Record<string, 'yes' | 'no'>>;
  leadership: LeaderRecord[];
  deadlocks: DeadlockRecord[];
  /** What the schedulers did with each request (evidence-queue.ts). */
  queue: QueueRecord[];
}

/** `release` (a clean shutdown) is a step-down; `ready` is not a change of leadership. */
const leaderEvents: Record<string, LeaderRecord['event']> = {
  acquire: 'acquire',
  'renew-failed': 'renew-failed',
  'step-down': 'step-down',
  release: 'step-down',
};

function votesOf(line: ObservationLine): Record<string, 'yes' | 'no'> {
  const out: Record<string, 'yes' | 'no'> = {};
  for (const [participant, v] of Object.entries((line.votes ?? {}) as Record<string, { vote?: unknown }>)) {
    if (v.vote === 'yes' || v.vote === 'no') out[participant] = v.vote;
  }
  return out;
}

/**
 * A deadlock is logged when found and again, with its end, when resolved; the later line counts. A cycle broken
 * by a lock timeout names its victim only once it is gone.
 */
function deadlockOf(line: ObservationLine, toNs: ToNs): DeadlockRecord {
  const at = (v: unknown) => (v === undefined ? undefined : toNs(Number(v)));
  const raw = {
    kind: 'deadlock',
    cycle: line.cycle,
    victim: line.victim,
    method: line.method,
    formedAt: at(line.formedAt),
    detectedAt: at(line.detectedAt),
    resolvedAt: at(line.resolvedAt),
  };
  return deadlockRecord.parse(raw, `deadlock at ${line.t}`);
}

export function readSessionManagerLogs(
  logs: ReadonlyArray<{ node: string; lines: readonly ObservationLine[] }>,
  toNs: ToNs,
): SessionManagerLogs {
  const votes = new Map<string, Record<string, 'yes' | 'no'>>();
  const leadership: LeaderRecord[] = [];
  const deadlocks = new Map<string, DeadlockRecord>();
  const queue = new QueueReader(toNs);
  for (const { node, lines } of logs) {
    for (const o of lines) {
      if (queue.add(node, o)) continue;
      if (o.obs === 'votes') votes.set(String(o.txnId), votesOf(o));
      else if (o.obs === 'leadership' && Object.hasOwn(leaderEvents, String(o.event))) {
        const raw = { kind: 'leader', node, epoch: o.epoch, event: leaderEvents[String(o.event)], at: toNs(o.t) };
        leadership.push(leaderRecord.parse(raw, `${node} leadership at ${o.t}`));
      } else if (o.obs === 'deadlock') {
        const d = deadlockOf(o, toNs);
        deadlocks.set(`${d.cycle.join('>')}|${o.detectedAt}`, d);
      }
    }
  }
  return { votes, leadership, deadlocks: [...deadlocks.values()], queue: queue.records };
}
