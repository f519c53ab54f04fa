// Leadership terms from the `leader` observations: a node holds epoch E from its `acquire` until it steps down, fails
// to renew, or a newer epoch is acquired (by any node: from then on the stores refuse its token). A term ended by a
// newer epoch rather than by its holder is marked `superseded`, and the chart draws that end differently: the holder
// may not have known. Judging overlaps is the single-leader checker's job; the chart only shows what was recorded.
import type { LeaderRecord } from '../format/observations.ts';

export interface Term {
  node: string;
  epoch: number;
  startMs: number;
  endMs: number;
  /** How it ended: step-down, renew-failed, superseded (a newer acquire) or run-end. */
  end: string;
}

export interface LeaderEvent {
  node: string;
  epoch: number;
  event: string;
  atMs: number;
}

export interface Leadership {
  nodes: string[];
  terms: Term[];
  events: LeaderEvent[];
}

export function leadership(records: readonly LeaderRecord[], endMs: number): Leadership {
  const sorted = [...records].sort((a, b) => a.at - b.at);
  const open = new Map<string, { epoch: number; startMs: number }>();
  const terms: Term[] = [];
  const finish = (node: string, atMs: number, end: string) => {
    const t = open.get(node);
    if (!t) return;
    open.delete(node);
    terms.push({ node, epoch: t.epoch, startMs: t.startMs, endMs: Math.max(atMs, t.startMs), end });
  };
  for (const r of sorted) {
    const atMs = r.at / 1e6;
    if (r.event !== 'acquire') {
      finish(r.node, atMs, r.event);
      continue;
    }
    // A newer epoch supersedes every other holder as far as the stores are concerned; the node itself may not know.
    for (const [node, t] of [...open]) if (node === r.node || t.epoch < r.epoch) finish(node, atMs, 'superseded');
    open.set(r.node, { epoch: r.epoch, startMs: atMs });
  }
  for (const node of [...open.keys()]) finish(node, Math.max(endMs, open.get(node)!.startMs), 'run-end');
  terms.sort((a, b) => a.startMs - b.startMs || a.epoch - b.epoch);
  const nodes = [...new Set(sorted.map((r) => r.node))].sort();
  const events = sorted.map((r) => ({ node: r.node, epoch: r.epoch, event: r.event, atMs: r.at / 1e6 }));
  return { nodes, terms, events };
}
