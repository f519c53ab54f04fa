// Everything a report shows, computed in Node from a run directory: the page only decodes and draws it. Per-op data
// goes as typed-array columns (see ops.ts); everything else is pre-aggregated to a few hundred values per chart.

import type { Availability } from '../checkers/availability.ts';
import { coverageText, type Validity } from '../checkers/result.ts';
import { type Faults, faultWindows, type NemesisOp, nemesisOps } from '../format/fault-windows.ts';
import type { HistoryOp } from '../format/history.ts';
import { observationKinds } from '../format/observations.ts';
import { isPlainObject } from '../format/schema.ts';
import { type Buckets, buckets } from './buckets.ts';
import { type Leadership, leadership } from './leadership.ts';
import { type RunMeta, runMeta } from './meta.ts';
import { type ClientOps, clientOps } from './ops.ts';
import type { RunInput } from './run.ts';
import { type FailRow, failTable, latencyTable, type PercentileRow, queueDelayTable } from './tables.ts';

/** Full values are embedded for the ops anomalies cite, up to this many ops, each value up to this many characters. */
const DETAIL_OPS_MAX = 5000;
const DETAIL_CHARS_MAX = 4000;

export type Verdict = Validity | 'unchecked';

export interface CheckerSection {
  name: string;
  valid: Validity;
  error?: string;
  /** What the checker examined, in words ("412 keys, 6,130 ops"); empty for results written before coverage. */
  examined: string;
  counts: Record<string, number>;
  total: number;
  anomalies: { type: string; key: string; ops: number[]; explanation: string; details?: string }[];
  /** The checker's figures (its stats, flattened to dotted names), e.g. `deadlocks.detector.resolveMedianMs`. */
  figures: [string, string][];
}

export interface OpDetail {
  index: number;
  type: string;
  process: string;
  f: string;
  timeMs: number;
  value: string;
  error?: string;
}

export interface Counts {
  ok: number;
  fail: number;
  info: number;
  open: number;
}

export interface ReportModel {
  meta: RunMeta & { dir: string; generatedAt: string; durationMs: number; historyLength: number };
  verdict: Verdict;
  checkers: CheckerSection[];
  counts: Counts;
  ops: ClientOps;
  nemesis: NemesisOp[];
  faults: Faults;
  /** Unavailability in each fault window, as the stats checker measured it (absent for runs checked before it). */
  availability?: Availability;
  buckets: Buckets;
  latencyTable: PercentileRow[];
  queueTable: PercentileRow[];
  failTable: FailRow[];
  leadership: Leadership;
  details: OpDetail[];
  config: Record<string, unknown> | null;
  observationCounts: Record<string, number>;
  warnings: string[];
}

function availabilityOf(checkers: RunInput['checkers']): { availability?: Availability } {
  const a = checkers.stats?.stats.availability as Availability | undefined;
  return a && Array.isArray(a.windows) ? { availability: a } : {};
}

function capped(value: unknown, pretty = false): string {
  const text = JSON.stringify(value, null, pretty ? 2 : undefined) ?? 'null';
  return text.length <= DETAIL_CHARS_MAX ? text : `${text.slice(0, DETAIL_CHARS_MAX - 1)}…`;
}

/** Up to this many figures per checker; the stats checker's latency tables have their own sections. */
const FIGURES_MAX = 40;

function figures(stats: Record<string, unknown>, prefix = '', out: [string, string][] = []): [string, string][] {
  for (const [k, v] of Object.entries(stats)) {
    if (out.length >= FIGURES_MAX) break;
    const name = prefix + k;
    if (k === 'anomalies') continue; // shown as counts
    if (typeof v === 'number') out.push([name, Number.isInteger(v) ? String(v) : v.toFixed(1)]);
    else if (typeof v === 'string' || typeof v === 'boolean') out.push([name, String(v)]);
    else if (Array.isArray(v)) out.push([name, `${v.length} items`]);
    else if (isPlainObject(v)) figures(v, `${name}.`, out);
  }
  return out;
}

function checkerSections(run: RunInput): CheckerSection[] {
  return Object.entries(run.checkers).map(([name, r]) => {
    const section: CheckerSection = {
      name,
      valid: r.valid,
      examined: r.coverage ? coverageText(r.coverage) : '',
      counts: r.counts,
      total: Object.values(r.counts).reduce((a, b) => a + b, 0),
      anomalies: r.anomalies.map((a) => {
        const ops = Array.isArray(a.ops) ? a.ops.filter((i) => Number.isInteger(i)) : [];
        const out = { type: String(a.type), key: String(a.key ?? ''), ops, explanation: String(a.explanation ?? '') };
        return a.details === undefined ? out : { ...out, details: capped(a.details, true) };
      }),
      figures: name === 'stats' ? [] : figures(r.stats),
    };
    if (r.error !== undefined) section.error = r.error;
    return section;
  });
}

/** The ops anomalies cite, with their invocation or completion, in full. */
function details(history: readonly HistoryOp[], checkers: CheckerSection[], ops: ClientOps): OpDetail[] {
  const partner = new Map<number, number>();
  for (let i = 0; i < ops.n; i++) {
    if (ops.completion[i]! < 0) continue;
    partner.set(ops.invoke[i]!, ops.completion[i]!);
    partner.set(ops.completion[i]!, ops.invoke[i]!);
  }
  const wanted = new Set<number>();
  for (const c of checkers) {
    for (const a of c.anomalies) {
      for (const i of a.ops) {
        if (wanted.size >= DETAIL_OPS_MAX) break;
        if (i < 0 || i >= history.length) continue;
        wanted.add(i);
        const p = partner.get(i);
        if (p !== undefined) wanted.add(p);
      }
    }
  }
  return [...wanted]
    .sort((a, b) => a - b)
    .map((i) => {
      const op = history[i]!;
      const d: OpDetail = {
        index: i,
        type: op.type,
        process: String(op.process),
        f: op.f,
        timeMs: op.time / 1e6,
        value: capped(op.value),
      };
      if (op.error !== undefined) d.error = op.error;
      return d;
    });
}

export function countOutcomes(ops: ClientOps): Counts {
  const counts: Counts = { ok: 0, fail: 0, info: 0, open: 0 };
  const names = ['ok', 'fail', 'info', 'open'] as const;
  for (let i = 0; i < ops.n; i++) counts[names[ops.outcome[i]!]!]++;
  return counts;
}

export function durationMs(history: readonly HistoryOp[]): number {
  let max = 0;
  for (const op of history) if (op.time > max) max = op.time;
  return max / 1e6;
}

export function reportModel(run: RunInput, now = new Date()): ReportModel {
  const ops = clientOps(run.history);
  const duration = durationMs(run.history);
  const nemesis = nemesisOps(run.history);
  const checkers = checkerSections(run);
  const observationCounts: Record<string, number> = {};
  for (const kind of observationKinds) {
    const n = run.observations[kind].length;
    if (n > 0) observationCounts[kind] = n;
  }
  return {
    meta: {
      ...runMeta(run.dir, run.config),
      dir: run.dir,
      generatedAt: now.toISOString(),
      durationMs: duration,
      historyLength: run.history.length,
    },
    verdict: run.valid ?? (checkers.length === 0 ? 'unchecked' : 'unknown'),
    checkers,
    counts: countOutcomes(ops),
    ops,
    nemesis,
    faults: faultWindows(nemesis, duration),
    ...availabilityOf(run.checkers),
    buckets: buckets(ops, duration),
    latencyTable: latencyTable(ops),
    queueTable: queueDelayTable(ops),
    failTable: failTable(ops),
    leadership: leadership(run.observations.leader, duration),
    details: details(run.history, checkers, ops),
    config: run.config ?? null,
    observationCounts,
    warnings: run.warnings,
  };
}
