// A run's headline figures, from its history: outcomes, how available the system was outside fault windows,
// and how long each kind of fault took to heal and the system to recover.
import type { HistoryOp as Op } from '../../format/history.ts';

export interface FaultTiming {
  kind: string;
  /** From the heal's invocation to its completion (e.g. a restart). */
  healMs: number;
  /** From the heal's completion to the next client op that completed ok. */
  recoveryMs?: number;
}

export interface RunSummary {
  ok: number;
  fail: number;
  info: number;
  /** Invocations made while no fault was active, and how many of them completed ok or fail. */
  healInvocations: number;
  healDefinite: number;
  faults: FaultTiming[];
}

export function summarize(ops: readonly Op[]): RunSummary {
  const s: RunSummary = { ok: 0, fail: 0, info: 0, healInvocations: 0, healDefinite: 0, faults: [] };
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
  const starts = new Map<string, Op>();
  for (const op of ops) {
    if (op.process === 'nemesis') {
      const [phase, ...rest] = op.f.split('-');
      const kind = rest.join('-');
      if (phase === 'start' && op.type === 'invoke') faultActive = true;
      if (phase === 'stop' && op.type === 'invoke') starts.set(kind, op);
      if (phase === 'stop' && op.type === 'info') {
        faultActive = false;
        const begun = starts.get(kind);
        const recovered = ops.find((x) => x.process !== 'nemesis' && x.type === 'ok' && x.time > op.time);
        s.faults.push({
          kind,
          healMs: begun ? Math.round((op.time - begun.time) / 1e6) : 0,
          ...(recovered ? { recoveryMs: Math.round((recovered.time - op.time) / 1e6) } : {}),
        });
      }
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
  const lines = [
    `ops: ok ${s.ok}, fail ${s.fail}, info ${s.info}; outside faults ${s.healDefinite}/${s.healInvocations} (${pct}%) completed ok or fail`,
  ];
  for (const f of s.faults) {
    lines.push(
      `fault ${f.kind.padEnd(14)} healed in ${f.healMs} ms, next ok ${f.recoveryMs === undefined ? 'never' : `${f.recoveryMs} ms`} later`,
    );
  }
  return lines;
}
