// Time buckets, computed in Node so the page draws a few hundred points per series instead of sorting 100,000 ops:
// latency quantiles per bucket (by invocation time, as the latency plot), and throughput and failure rate by reason
// per bucket (by completion time: an op counts when it finished).
import { type ClientOps, OUTCOME_CODE } from './ops.ts';

/** Bucket widths a reader can take in at a glance, ms. */
const NICE_WIDTHS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
  900_000, 1_800_000, 3_600_000,
];

/** The smallest nice width giving at most `target` buckets over `durationMs`. */
export function bucketWidthMs(durationMs: number, target = 150): number {
  const raw = Math.max(durationMs, 1) / target;
  for (const w of NICE_WIDTHS_MS) if (w >= raw) return w;
  return Math.ceil(raw / 3_600_000) * 3_600_000;
}

export interface Buckets {
  widthMs: number;
  count: number;
  /** Latency quantiles of the ops invoked in each bucket, ms; NaN for an empty bucket. */
  p50: number[];
  p90: number[];
  p99: number[];
  /** Completions per second in each bucket, by outcome. */
  okPerS: number[];
  failPerS: number[];
  infoPerS: number[];
  /** Per fail reason: the fraction of the bucket's completions that failed for it, 0..1. */
  failRate: Record<string, number[]>;
}

/** Nearest-rank quantile of sorted values; NaN for none. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

function bucketOf(t: number, widthMs: number, count: number): number {
  return Math.min(count - 1, Math.max(0, Math.floor(t / widthMs)));
}

/** Latency quantiles per bucket of invocation time, over every completed op (ok, fail and info). */
function quantiles(ops: ClientOps, widthMs: number, count: number): Pick<Buckets, 'p50' | 'p90' | 'p99'> {
  // Counting sort by bucket: one pass to size each bucket, one to place the latencies, then sort each slice.
  const sizes = new Int32Array(count + 1);
  for (let i = 0; i < ops.n; i++) {
    if (!Number.isNaN(ops.latency[i]!)) sizes[bucketOf(ops.start[i]!, widthMs, count) + 1]!++;
  }
  for (let b = 0; b < count; b++) sizes[b + 1]! += sizes[b]!;
  const fill = sizes.slice(0, count);
  const values = new Float64Array(sizes[count]!);
  for (let i = 0; i < ops.n; i++) {
    const l = ops.latency[i]!;
    if (!Number.isNaN(l)) values[fill[bucketOf(ops.start[i]!, widthMs, count)]!++] = l;
  }
  const out = { p50: [] as number[], p90: [] as number[], p99: [] as number[] };
  for (let b = 0; b < count; b++) {
    const slice = values.subarray(sizes[b]!, sizes[b + 1]!).sort();
    out.p50.push(quantileSorted(slice, 0.5));
    out.p90.push(quantileSorted(slice, 0.9));
    out.p99.push(quantileSorted(slice, 0.99));
  }
  return out;
}

function rates(
  ops: ClientOps,
  widthMs: number,
  count: number,
): Omit<Buckets, 'widthMs' | 'count' | 'p50' | 'p90' | 'p99'> {
  const perOutcome = [new Float64Array(count), new Float64Array(count), new Float64Array(count)];
  const byReason = new Map<number, Float64Array>();
  for (let i = 0; i < ops.n; i++) {
    const outcome = ops.outcome[i]!;
    if (outcome === OUTCOME_CODE.open) continue;
    const b = bucketOf(ops.start[i]! + ops.latency[i]!, widthMs, count);
    perOutcome[outcome]![b]!++;
    const reason = ops.reason[i]!;
    if (outcome !== OUTCOME_CODE.fail) continue;
    let series = byReason.get(reason);
    if (!series) {
      series = new Float64Array(count);
      byReason.set(reason, series);
    }
    series[b]!++;
  }
  const [ok, fail, info] = perOutcome as [Float64Array, Float64Array, Float64Array];
  const total = (b: number) => ok[b]! + fail[b]! + info[b]!;
  const perS = (a: Float64Array) => Array.from(a, (v) => (v * 1000) / widthMs);
  const failRate: Record<string, number[]> = {};
  const reasons = [...byReason].sort(([, a], [, b]) => sum(b) - sum(a));
  for (const [code, series] of reasons) {
    failRate[ops.reasons[code] || 'unknown'] = Array.from(series, (v, b) => (total(b) === 0 ? 0 : v / total(b)));
  }
  return { okPerS: perS(ok), failPerS: perS(fail), infoPerS: perS(info), failRate };
}

function sum(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

export function buckets(ops: ClientOps, durationMs: number, widthMs = bucketWidthMs(durationMs)): Buckets {
  const count = Math.max(1, Math.ceil(durationMs / widthMs));
  return { widthMs, count, ...quantiles(ops, widthMs, count), ...rates(ops, widthMs, count) };
}
