// Stats: op counts per f and type, latency quantiles (hdr-histogram-js) per protocol and traffic class for creates and
// per f for the other ops (read, modify, release), failures per f by code (412 `precondition_failed`, `not_active`,
// `aborted`...), aborts by reason, and the unavailability in each fault window (availability.ts), with the leader
// losses over their bound flagged. Never invalid: it describes the run for the report, the other checkers judge it.
import { build, type Histogram } from 'hdr-histogram-js';
import { type HistoryOp, NEMESIS, pairHistory, SESSION_F } from '../format/history.ts';
import { availability } from './availability.ts';
import type { Checker } from './result.ts';
import { sessionRequest, sessionResult } from './sessions.ts';

/** Latencies are recorded in microseconds, up to an hour; longer ones are clamped (they are timeouts anyway). */
const HIGHEST_US = 3_600_000_000;

export interface LatencySummary {
  count: number;
  ok: number;
  fail: number;
  info: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

interface Group {
  histogram: Histogram;
  ok: number;
  fail: number;
  info: number;
}

/** create-session ops group by protocol and traffic class; any other op (read, modify, release...) by its f. */
function groupOf(invoke: HistoryOp): string {
  if (invoke.f !== SESSION_F.create) return invoke.f;
  const r = sessionRequest(invoke.value);
  return `${r.protocol ?? '?'}/${r.trafficClass ?? '?'}`;
}

function summarize(g: Group): LatencySummary {
  const at = (p: number) => g.histogram.getValueAtPercentile(p) / 1000;
  return {
    count: g.ok + g.fail + g.info,
    ok: g.ok,
    fail: g.fail,
    info: g.info,
    p50Ms: at(50),
    p90Ms: at(90),
    p99Ms: at(99),
    p999Ms: at(99.9),
    maxMs: g.histogram.maxValue / 1000,
  };
}

function abortReason(op: HistoryOp): string | undefined {
  if (op.type !== 'fail' || op.f !== SESSION_F.create) return undefined;
  const r = sessionResult(op.value);
  if (r.outcome !== 'aborted' && r.status !== 409) return undefined;
  return r.reason ?? op.error ?? 'unknown';
}

/** Why a client op failed, as a code: the gateway's, else the client's error, else the HTTP status. */
function failCode(op: HistoryOp): string {
  const r = sessionResult(op.value);
  return r.code ?? op.error ?? (r.status !== undefined ? `http ${r.status}` : 'unknown');
}

function bump(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

export const stats: Checker = {
  name: 'stats',
  coverage: ['completions', 'faultWindows', 'leaderLosses'],
  check(history, observations, opts) {
    const pairs = pairHistory(history);
    const ops: Record<string, Record<string, number>> = {};
    const groups = new Map<string, Group>();
    const abortsByReason: Record<string, number> = {};
    const failsByCode: Record<string, Record<string, number>> = {};
    let completions = 0;
    for (const op of history) {
      const counts = ops[op.f] ?? {};
      ops[op.f] = counts;
      bump(counts, op.type);
      if (op.type === 'invoke') continue;
      completions++;
      const reason = abortReason(op);
      if (reason !== undefined) bump(abortsByReason, reason);
      if (op.type === 'fail' && op.process !== NEMESIS) {
        failsByCode[op.f] ??= {};
        bump(failsByCode[op.f]!, failCode(op));
      }
      const invoke = history[pairs.invocation[op.index]!]!;
      const key = groupOf(invoke);
      let g = groups.get(key);
      if (!g) {
        g = {
          histogram: build({ numberOfSignificantValueDigits: 3, highestTrackableValue: HIGHEST_US }),
          ok: 0,
          fail: 0,
          info: 0,
        };
        groups.set(key, g);
      }
      g[op.type]++;
      // Info latencies are how long the client waited before giving up; they are kept, as Jepsen plots them too.
      const us = Math.min(HIGHEST_US, Math.max(1, Math.round((op.time - invoke.time) / 1000)));
      g.histogram.recordValue(us);
    }
    const latency: Record<string, LatencySummary> = {};
    for (const [key, g] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
      latency[key] = summarize(g);
      g.histogram.destroy();
    }
    const unavailability = availability(history, observations, opts.leaseTtlMs);
    const loggedAbortsByReason: Record<string, number> = {};
    for (const t of observations.txn) if (t.state === 'aborted') bump(loggedAbortsByReason, t.reason ?? 'unknown');
    return {
      valid: true,
      anomalies: [],
      stats: {
        completions,
        ops,
        latency,
        failsByCode,
        abortsByReason,
        loggedAbortsByReason,
        faultWindows: unavailability.windows.length,
        leaderLosses: unavailability.leaderLossWindows,
        availability: unavailability,
      },
    };
  },
};
