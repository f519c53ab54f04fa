// A run's headline figures, from its history: outcomes, and how available the system was outside fault windows.
// Inside each window, unavailability is the stats checker's (checkers/availability.ts).
import type { HistoryOp as Op } from '../../format/history.ts';

export interface RunSummary {
  ok: number;
  fail: number;
  info: number;
  /** Invocations made while no fault was active, and how many of them completed ok or fail. */
  healInvocations: number;
  healDefinite: number;
}

export function summarize(ops: readonly Op[]): RunSummary {
  const s: RunSummary = { ok: 0, fail: 0, info: 0, healInvocations: 0, healDefinite: 0 };
  const completion = new Map<number, Op>();
  const openByProcess = new Map<number | string, Op>();
  for (const op of ops) {
    if (op.process === 'nemesis') continue;
    if (op.type === 'invoke') openByProcess.set(op.process, op);
    else {
      const inv = openByProcess.get(op.process);
      if (inv) completion.set(inv.index, op);
      openByProcess.delete(op.process);
      s[op.type]++;
    }
  }
  let faultActive = false;
  for (const op of ops) {
    if (op.process === 'nemesis') {
      const phase = op.f.split('-')[0];
      if (phase === 'start' && op.type === 'invoke') faultActive = true;
      if (phase === 'stop' && op.type === 'info') faultActive = false;
      continue;
    }
    if (op.type !== 'invoke' || faultActive) continue;
    s.healInvocations++;
    const done = completion.get(op.index);
    if (done && done.type !== 'info') s.healDefinite++;
  }
  return s;
}

export function summaryLines(s: RunSummary): string[] {
  const pct = s.healInvocations ? ((100 * s.healDefinite) / s.healInvocations).toFixed(1) : 'n/a';
  return [
    `ops: ok ${s.ok}, fail ${s.fail}, info ${s.info}; outside faults ${s.healDefinite}/${s.healInvocations} (${pct}%) completed ok or fail`,
  ];
}
