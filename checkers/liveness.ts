// Liveness: every invocation completes; after the final heal every transaction ends within the deadline; no lock,
// wait or prepared transaction is left at the end; every deadlock was resolved.
import { finalHealTime, NEMESIS, pairHistory } from '../format/history.ts';
import type { ObservationOf, Observations } from '../format/observations.ts';
import { pathCounts } from './paths.ts';
import { type AnomalyLog, anomalyLog, type Checker, DEFAULT_DEADLINE_NS } from './result.ts';
import { linkClientOps, opIndices } from './sessions.ts';

const ms = (ns: number) => `${Math.round(ns / 1e6)} ms`;

/** Cycles among the wait-for edges still open at the end: deadlocks nobody broke. Returns the edges in them. */
function openCycles(obs: Observations, out: AnomalyLog): Set<string> {
  const waits = new Map<string, string[]>();
  for (const w of obs['lock-wait']) {
    if (w.end !== undefined) continue;
    // Stryker disable next-line ArrayDeclaration: an extra edge to a node that waits for nothing can close no cycle
    const list = waits.get(w.txnId) ?? [];
    list.push(w.waitsFor);
    waits.set(w.txnId, list);
  }
  const inCycle = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  // Iterative DFS: the graph can be as large as the run, so recursion depth is not bounded.
  for (const root of waits.keys()) {
    if (state.has(root)) continue;
    const path: string[] = [root];
    const next: number[] = [0];
    state.set(root, 'open');
    while (path.length > 0) {
      const node = path[path.length - 1]!;
      const edges = waits.get(node) ?? [];
      const i = next[next.length - 1]!;
      if (i >= edges.length) {
        // Stryker disable next-line StringLiteral: only 'open' is ever tested; any other mark reads as finished
        state.set(node, 'done');
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = i + 1;
      const to = edges[i]!;
      if (state.get(to) === 'open') {
        const cycle = path.slice(path.indexOf(to));
        for (const t of cycle) inCycle.add(t);
        out.add(
          'deadlock-unresolved',
          cycle.join(' -> '),
          [],
          `wait-for cycle still open at the end: ${cycle.join(' -> ')} -> ${to}`,
        );
      } else if (!state.has(to)) {
        state.set(to, 'open');
        path.push(to);
        next.push(0);
      }
    }
  }
  return inCycle;
}

function checkLeftovers(obs: Observations, out: AnomalyLog): void {
  for (const p of obs.prepared) {
    const txn = p.txnId ?? p.gid;
    out.add(
      'prepared-left',
      txn,
      [],
      `${p.participant} still has prepared transaction ${p.gid} at ${ms(p.observedAt)}`,
    );
  }
  for (const l of obs.lock) {
    out.add(
      'lock-left',
      l.txnId ?? l.resource,
      [],
      `${l.participant} lock on ${l.resource} still held by ${l.txnId ?? '?'}`,
    );
  }
  const inCycle = openCycles(obs, out);
  for (const w of obs['lock-wait']) {
    if (w.end === undefined && !inCycle.has(w.txnId)) {
      out.add('lock-left', w.txnId, [], `${w.txnId} still waiting for ${w.waitsFor} at ${w.participant}`);
    }
  }
  const resolvedAt = deadlockResolution(obs);
  for (const d of obs.deadlock) {
    if (resolvedAt(d) === undefined) {
      out.add(
        'deadlock-unresolved',
        d.cycle.join(' -> '),
        [],
        `${d.method} found it at ${ms(d.detectedAt)}, victim ${d.victim ?? 'not named'}, never resolved`,
      );
    }
  }
}

/**
 * When each deadlock ended. The detector's own record says so when it saw the cycle go; when the run stopped first
 * (a lock timeout broke the cycle moments before the final collection), the participants' lock-wait records still
 * show it: the cycle is gone once every wait of one of its edges has ended, at the latest of those ends.
 */
function deadlockResolution(obs: Observations): (d: ObservationOf<'deadlock'>) => number | undefined {
  const edges = new Map<string, { open: boolean; end: number }>();
  for (const w of obs['lock-wait']) {
    const key = `${w.txnId}>${w.waitsFor}`;
    const e = edges.get(key) ?? { open: false, end: 0 };
    edges.set(key, e);
    if (w.end === undefined) e.open = true;
    else e.end = Math.max(e.end, w.end);
  }
  return (d) => {
    if (d.resolvedAt !== undefined) return d.resolvedAt;
    let at: number | undefined;
    d.cycle.forEach((txn, i) => {
      const e = edges.get(`${txn}>${d.cycle[(i + 1) % d.cycle.length]}`);
      if (e && !e.open) at = Math.min(at ?? e.end, e.end);
    });
    return at === undefined ? undefined : Math.max(at, d.detectedAt);
  };
}

/**
 * Per method: deadlocks found, how many ended, and how long the ended ones lasted, from the cycle's forming (its
 * detection in records that lack it) to its end. The median is the figure to hold against the lock timeout.
 */
function deadlockStats(obs: Observations): Record<string, DeadlockStats> {
  const lasted = new Map<string, number[]>();
  const found = new Map<string, number>();
  const resolvedAt = deadlockResolution(obs);
  for (const d of obs.deadlock) {
    found.set(d.method, (found.get(d.method) ?? 0) + 1);
    const end = resolvedAt(d);
    const list = lasted.get(d.method) ?? [];
    lasted.set(d.method, list);
    if (end !== undefined) list.push((end - (d.formedAt ?? d.detectedAt)) / 1e6);
  }
  const out: Record<string, DeadlockStats> = {};
  for (const [method, count] of found) {
    const ms = lasted.get(method)!.sort((a, b) => a - b);
    out[method] = {
      count,
      resolved: ms.length,
      resolveMedianMs: ms.length ? ms[Math.floor((ms.length - 1) / 2)]! : 0,
      resolveMeanMs: ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : 0,
      resolveMaxMs: ms.length ? ms[ms.length - 1]! : 0,
    };
  }
  return out;
}

/** The recovery paths whose ending liveness judges (checkers/paths.ts). */
function livenessPaths(paths: Observations['path']) {
  const { decisionQueries, precommitTimeouts, recoveries, decisionQueryAnswers } = pathCounts(paths);
  return { decisionQueries, precommitTimeouts, recoveries, decisionQueryAnswers };
}

interface DeadlockStats {
  count: number;
  resolved: number;
  resolveMedianMs: number;
  resolveMeanMs: number;
  resolveMaxMs: number;
}

export const liveness: Checker = {
  name: 'liveness',
  coverage: ['invocations', 'txns', 'decisionQueries', 'precommitTimeouts', 'recoveries'],
  check(history, observations, opts) {
    const out = anomalyLog(opts);
    const pairs = pairHistory(history);
    let open = 0;
    let invocations = 0;
    for (const op of history) {
      if (op.type === 'invoke' && op.process !== NEMESIS) invocations++;
      if (op.type === 'invoke' && pairs.completion[op.index] === -1) {
        open++;
        out.add(
          'never-completed',
          `process ${op.process}`,
          [op.index],
          `${op.f} invoked at ${ms(op.time)} never completed`,
        );
      }
    }
    const healAt = opts.finalHealAt ?? finalHealTime(history);
    const deadline = opts.deadlineNs ?? DEFAULT_DEADLINE_NS;
    const { byTxn } = linkClientOps(history, observations);
    for (const t of observations.txn) {
      const due = Math.max(healAt, t.createdAt) + deadline;
      if (t.endedAt !== undefined && t.endedAt <= due) continue;
      const ops = (byTxn.get(t.txnId) ?? []).flatMap(opIndices);
      const when = t.endedAt === undefined ? `never ended (state ${t.state})` : `ended at ${ms(t.endedAt)}`;
      out.add(
        'txn-not-finished',
        t.txnId,
        ops,
        `${when}; due by ${ms(due)} (final heal ${ms(healAt)} + ${ms(deadline)})`,
      );
    }
    checkLeftovers(observations, out);
    return out.result({
      invocations,
      txns: observations.txn.length,
      openInvocations: open,
      finalHealAt: healAt,
      deadlineNs: deadline,
      deadlocks: deadlockStats(observations),
      ...livenessPaths(observations.path),
    });
  },
};
