// One run in a line of numbers, for the store index. writeReport leaves it beside the report as summary.json, so
// rebuilding the index reads a small file per run instead of every history; a summary older than the history or the
// results is recomputed.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE } from '../format/config.ts';
import { RESULTS_FILE } from '../format/results.ts';
import { HISTORY_FILE } from '../format/run-dir.ts';
import { type ReportModel, reportModel } from './model.ts';
import { readRun } from './run.ts';

export const SUMMARY_FILE = 'summary.json';
/** Bumped when the summary's shape changes, so older files are recomputed. */
const SUMMARY_VERSION = 2;

export interface RunSummary {
  version: number;
  name: string;
  dir: string;
  verdict: string;
  checkers: Record<string, string>;
  anomalies: number;
  workload: string;
  protocol: string;
  nemeses: string[];
  seed: string;
  startedAt: string;
  durationMs: number;
  ok: number;
  fail: number;
  info: number;
  open: number;
  /** Latency p99 of every completion, ms (NaN as null when none completed). */
  p99Ms: number | null;
  /** Fails over completions, 0..1. */
  abortRate: number;
  /** ok completions per second over the run. */
  throughput: number;
  /** The longest gap without an ok in any leader-loss fault window, ms (null when no leader was lost). */
  leaderLossGapMs: number | null;
  /** Leader-loss windows over the bound (lease TTL + 500 ms). */
  leaderLossOverBound: number;
}

export function summarize(m: ReportModel): RunSummary {
  const all = m.latencyTable.find((r) => r.group === 'all');
  const { ok, fail, info, open } = m.counts;
  const done = ok + fail + info;
  return {
    version: SUMMARY_VERSION,
    name: m.meta.name,
    dir: m.meta.dir,
    verdict: String(m.verdict),
    checkers: Object.fromEntries(m.checkers.map((c) => [c.name, String(c.valid)])),
    anomalies: m.checkers.reduce((n, c) => n + c.total, 0),
    workload: m.meta.workload,
    protocol: m.meta.protocol,
    nemeses: m.meta.nemeses,
    seed: m.meta.seed,
    startedAt: m.meta.startedAt,
    durationMs: m.meta.durationMs,
    ok,
    fail,
    info,
    open,
    p99Ms: all ? all.p99 : null,
    abortRate: done === 0 ? 0 : fail / done,
    throughput: m.meta.durationMs > 0 ? ok / (m.meta.durationMs / 1000) : 0,
    leaderLossGapMs: m.availability?.worstLeaderLossGapMs ?? null,
    leaderLossOverBound: m.availability?.overBound ?? 0,
  };
}

function mtime(path: string): number {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

/** The run's summary: summary.json when it is current, else computed (and saved). Throws ReportInputError. */
export function runSummary(dir: string): RunSummary {
  const path = join(dir, SUMMARY_FILE);
  const inputs = [HISTORY_FILE, RESULTS_FILE, CONFIG_FILE].map((f) => mtime(join(dir, f)));
  if (existsSync(path) && mtime(path) >= Math.max(...inputs)) {
    try {
      const s = JSON.parse(readFileSync(path, 'utf8')) as RunSummary;
      if (s.version === SUMMARY_VERSION) return { ...s, dir };
    } catch {
      // A damaged summary is only a cache: recompute it below.
    }
  }
  const summary = summarize(reportModel(readRun(dir)));
  writeFileSync(path, `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}
