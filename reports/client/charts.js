// The four time charts: latency per op (a point per completed op), latency quantiles, throughput and failure rate
// per bucket. The per-op chart draws from the embedded columns; the others from buckets computed in Node.
import { nan } from './data.js';
import { COLORS, fmtMs, fmtT, lowerBound, OUTCOME_COLORS, PALETTE, setLegend } from './dom.js';
import { plot } from './plot.js';

/** @typedef {import('./types.js').Report} Report */
/** @typedef {import('./plot.js').Frame} Frame */
/** @typedef {import('./plot.js').Band} Band */

/** Op ids per outcome, in invocation (= start time) order. @param {Report} r */
function idsByOutcome(r) {
  const ops = r.ops;
  const sizes = [0, 0, 0, 0];
  for (let i = 0; i < ops.n; i++) sizes[ops.outcome[i]]++;
  const lists = sizes.map((s) => new Int32Array(s));
  const fill = [0, 0, 0, 0];
  for (let i = 0; i < ops.n; i++) lists[ops.outcome[i]][fill[ops.outcome[i]]++] = i;
  return lists;
}

/** @param {Report} r @param {Int32Array} ids @param {string} color @returns {(f: Frame) => void} */
function points(r, ids, color) {
  const { start, latency } = r.ops;
  return (f) => {
    f.ctx.fillStyle = color;
    // ids are in start order: binary search the first visible one, stop at the last.
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (start[ids[mid]] < f.xMin) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < ids.length; k++) {
      const i = ids[k];
      if (start[i] > f.xMax) break;
      f.ctx.fillRect(f.x(start[i]) - 1, f.y(latency[i]) - 1, 2, 2);
    }
  };
}

/** @param {number} widthMs @param {number[]} ys @param {string} color @returns {(f: Frame) => void} */
function line(widthMs, ys, color) {
  return (f) => {
    const { ctx } = f;
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.6;
    ctx.beginPath();
    let pen = false;
    ys.forEach((v, b) => {
      if (!Number.isFinite(v)) {
        pen = false;
        return;
      }
      const px = f.x((b + 0.5) * widthMs);
      if (pen) ctx.lineTo(px, f.y(v));
      else ctx.moveTo(px, f.y(v));
      pen = true;
    });
    ctx.stroke();
  };
}

/** @param {number[][]} series @param {number} widthMs @param {number} xMin @param {number} xMax @returns {[number, number]} */
function extent(series, widthMs, xMin, xMax) {
  let lo = Infinity;
  let hi = -Infinity;
  const b0 = Math.max(0, Math.floor(xMin / widthMs));
  const b1 = Math.ceil(xMax / widthMs);
  for (const s of series) {
    for (let b = b0; b <= b1 && b < s.length; b++) {
      if (!Number.isFinite(s[b])) continue;
      lo = Math.min(lo, s[b]);
      hi = Math.max(hi, s[b]);
    }
  }
  return lo === Infinity ? [0, 1] : [lo, hi];
}

/**
 * @param {Report} r @param {Band[]} bands @param {string} id @param {{ label: string, color: string, ys: number[] }[]} series
 * @param {{ yLog?: boolean, zero?: boolean, yFormat: (v: number) => string }} opts
 */
function bucketChart(r, bands, id, series, opts) {
  const canvas = document.getElementById(`chart-${id}`);
  if (!(canvas instanceof HTMLCanvasElement)) return undefined;
  const w = r.buckets.widthMs;
  setLegend(`legend-${id}`, series);
  return plot({
    canvas,
    yLog: opts.yLog,
    bands,
    instants: r.faults.instants,
    yFormat: opts.yFormat,
    yExtent: (xMin, xMax) => {
      const [lo, hi] = extent(
        series.map((s) => s.ys),
        w,
        xMin,
        xMax,
      );
      return opts.zero ? [0, hi] : [lo, hi];
    },
    layers: series.map((s) => line(w, s.ys, s.color)),
    tip: (ms) => {
      const b = Math.floor(ms / w);
      const rows = series.map((s) => `${s.label}: ${opts.yFormat(s.ys[b] ?? Number.NaN)}`);
      return [`${fmtT(b * w)} – ${fmtT((b + 1) * w)}`, ...rows].join('\n');
    },
  });
}

/** @param {Report} r @param {Band[]} bands @param {(index: number) => void} openOp */
function latencyChart(r, bands, openOp) {
  const canvas = document.getElementById('chart-latency');
  if (!(canvas instanceof HTMLCanvasElement)) return undefined;
  const ops = r.ops;
  const [ok, fail, info] = idsByOutcome(r);
  let lo = Infinity;
  let hi = 0;
  for (let i = 0; i < ops.n; i++) {
    const l = ops.latency[i];
    if (!Number.isFinite(l)) continue;
    if (l < lo) lo = l;
    if (l > hi) hi = l;
  }
  setLegend('legend-latency', [
    { label: `ok (${ok.length})`, color: COLORS.ok },
    { label: `info (${info.length})`, color: COLORS.info },
    { label: `fail (${fail.length})`, color: COLORS.fail },
    { label: 'fault window', color: 'rgba(220, 80, 60, 0.35)' },
  ]);
  return plot({
    canvas,
    yLog: true,
    bands,
    instants: r.faults.instants,
    yFormat: fmtMs,
    yExtent: () => [Math.max(lo, 1e-3), Math.max(hi, 1e-3)],
    // Rare outcomes last, so a fail is never hidden under a thousand oks.
    layers: [points(r, ok, OUTCOME_COLORS[0]), points(r, info, OUTCOME_COLORS[2]), points(r, fail, OUTCOME_COLORS[1])],
    tip: (ms) => fmtT(ms),
    onClick: (ms, px, py, f) => {
      const near = nearestOp(r, f, ms, px, py);
      if (near >= 0) openOp(ops.invoke[near]);
    },
  });
}

/** The completed op drawn nearest the pointer, within 6 px; -1 if none. @param {Report} r @param {Frame} f @param {number} ms @param {number} px @param {number} py */
function nearestOp(r, f, ms, px, py) {
  const { start, latency, n } = r.ops;
  const slack = (6 / f.width) * (f.xMax - f.xMin);
  let best = -1;
  let bestD = 36;
  for (let i = lowerBound(start, ms - slack); i < n && start[i] <= ms + slack; i++) {
    if (!Number.isFinite(latency[i])) continue;
    const d = (f.x(start[i]) - px) ** 2 + (f.y(latency[i]) - py) ** 2;
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/** Draws every chart; returns their redraw functions. @param {Report} r @param {(index: number) => void} openOp */
export function drawCharts(r, openOp) {
  const bands = r.faults.windows.map((w) => ({ startMs: w.startMs, endMs: w.endMs, label: w.label }));
  const b = r.buckets;
  const pct = (/** @type {number} */ v) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
  const perS = (/** @type {number} */ v) => (Number.isFinite(v) ? `${Number(v.toPrecision(3))}/s` : '—');
  const reasons = Object.entries(b.failRate);
  const charts = [
    latencyChart(r, bands, openOp),
    bucketChart(
      r,
      bands,
      'quantiles',
      [
        { label: 'p50', color: PALETTE[0], ys: nan(b.p50) },
        { label: 'p90', color: PALETTE[2], ys: nan(b.p90) },
        { label: 'p99', color: PALETTE[1], ys: nan(b.p99) },
      ],
      { yLog: true, yFormat: fmtMs },
    ),
    bucketChart(
      r,
      bands,
      'throughput',
      [
        { label: 'ok', color: COLORS.ok, ys: b.okPerS },
        { label: 'fail', color: COLORS.fail, ys: b.failPerS },
        { label: 'info', color: COLORS.info, ys: b.infoPerS },
      ],
      { zero: true, yFormat: perS },
    ),
    bucketChart(
      r,
      bands,
      'failrate',
      reasons.map(([reason, ys], k) => ({ label: reason, color: PALETTE[(k + 1) % PALETTE.length], ys })),
      {
        zero: true,
        yFormat: pct,
      },
    ),
  ];
  return charts.filter((c) => c !== undefined);
}
