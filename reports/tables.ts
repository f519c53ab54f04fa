// Percentile tables with hdr-histogram-js: latency per protocol and traffic class (and each alone, and all ops), and
// scheduler queue delay per class; and the failures of each op by reason. Like the stats checker, latency counts every completion: an info op's latency is
// how long the client waited before giving up, which is what a caller of the system experiences.
import { build, type Histogram } from 'hdr-histogram-js';
import { type ClientOps, OUTCOME_CODE } from './ops.ts';

/** Recorded in microseconds, up to an hour (longer values are clamped: they are timeouts anyway). */
const HIGHEST_US = 3_600_000_000;

export interface PercentileRow {
  group: string;
  count: number;
  ok: number;
  fail: number;
  info: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

class Group {
  readonly histogram: Histogram = build({ numberOfSignificantValueDigits: 3, highestTrackableValue: HIGHEST_US });
  readonly outcomes = [0, 0, 0, 0];

  record(ms: number, outcome: number): void {
    this.histogram.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
    this.outcomes[outcome]!++;
  }

  row(group: string): PercentileRow {
    const h = this.histogram;
    const at = (p: number) => h.getValueAtPercentile(p) / 1000;
    const [ok, fail, info] = this.outcomes as [number, number, number];
    const row = { group, count: ok + fail + info, ok, fail, info };
    const out = { ...row, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: h.maxValue / 1000 };
    h.destroy();
    return out;
  }
}

class Groups {
  private readonly map = new Map<string, Group>();
  get(key: string): Group {
    let g = this.map.get(key);
    if (!g) {
      g = new Group();
      this.map.set(key, g);
    }
    return g;
  }
  /** Rows: the groups, then per protocol ("2pc/all"), then per class ("all/voice"), then "all". */
  rows(): PercentileRow[] {
    const rank = (k: string) => (k === 'all' ? 3 : k.startsWith('all/') ? 2 : k.endsWith('/all') ? 1 : 0);
    const keys = [...this.map.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    return keys.map((k) => this.map.get(k)!.row(k));
  }
}

/**
 * Latency percentiles, ms. Rows: each "protocol/class" group, each protocol and each class alone ("2pc/all",
 * "all/voice"), then "all". Ops that are not create-session are grouped by their f.
 */
export function latencyTable(ops: ClientOps): PercentileRow[] {
  const groups = new Groups();
  const margins = ops.groups.map((g) => {
    const slash = g.indexOf('/');
    return slash < 0 ? [] : [`${g.slice(0, slash)}/all`, `all/${g.slice(slash + 1)}`];
  });
  for (let i = 0; i < ops.n; i++) {
    const outcome = ops.outcome[i]!;
    if (outcome === OUTCOME_CODE.open) continue;
    const ms = ops.latency[i]!;
    const code = ops.group[i]!;
    for (const key of [ops.groups[code]!, ...margins[code]!, 'all']) groups.get(key).record(ms, outcome);
  }
  return groups.rows();
}

/** Queue delay percentiles per traffic class, ms, over the ops whose completion reported `timings.queueMs`. */
export function queueDelayTable(ops: ClientOps): PercentileRow[] {
  const groups = new Groups();
  const classOf = ops.groups.map((g) => (g.includes('/') ? g.slice(g.indexOf('/') + 1) : g));
  for (let i = 0; i < ops.n; i++) {
    const q = ops.queueMs[i]!;
    const outcome = ops.outcome[i]!;
    if (Number.isNaN(q) || outcome === OUTCOME_CODE.open) continue;
    // Queue delays of 0 are real (no wait); HDR's lowest value is 1 µs, which reads the same at ms resolution.
    for (const key of [classOf[ops.group[i]!]!, 'all']) groups.get(key).record(q, outcome);
  }
  return groups.rows();
}

export interface FailRow {
  f: string;
  reason: string;
  count: number;
}

/** Failed ops per f and reason (a 412 reads `precondition_failed`), most frequent first within each f. */
export function failTable(ops: ClientOps): FailRow[] {
  const counts = new Map<string, FailRow>();
  for (let i = 0; i < ops.n; i++) {
    if (ops.outcome[i] !== OUTCOME_CODE.fail) continue;
    const f = ops.fs[ops.f[i]!]!;
    const reason = ops.reasons[ops.reason[i]!]!;
    const key = `${f}\u0000${reason}`;
    const row = counts.get(key) ?? { f, reason, count: 0 };
    row.count++;
    counts.set(key, row);
  }
  return [...counts.values()].sort(
    (a, b) => a.f.localeCompare(b.f) || b.count - a.count || a.reason.localeCompare(b.reason),
  );
}
