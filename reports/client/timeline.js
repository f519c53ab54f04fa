// The per-process timeline: one lane per process (nemesis first), each op a bar from invocation to completion,
// coloured by outcome. No cap on ops: only the lanes scrolled into view and the ops inside the shared time range are
// drawn, found by binary search (a process has one op open at a time, so its ops are sorted by start and by end).
import { COLORS, fmtT, OUTCOME_COLORS, sizeCanvas } from './dom.js';
import { niceTicks, wireDrag } from './plot.js';
import { onView, resetView, setView, view } from './view.js';

/** @typedef {import('./types.js').Report} Report */
/** @typedef {import('./data.js').ReportIndex} ReportIndex */
/** @typedef {{ name: string, ops: Int32Array }} Lane */

const ROW = 16;
const HEAD = 20;
const LABEL_W = 70;

/** First op in the lane still running at `ms`. @param {Lane} lane @param {(i: number) => number} end @param {number} ms */
function firstEndingAfter(lane, end, ms) {
  let lo = 0;
  let hi = lane.ops.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (end(lane.ops[mid]) < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * @param {Report} r @param {ReportIndex} idx @param {(index: number) => void} openOp
 */
export function timeline(r, idx, openOp) {
  const box = /** @type {HTMLElement} */ (document.getElementById('timeline'));
  const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById('timeline-canvas'));
  const ops = r.ops;
  const end = (/** @type {number} */ i) =>
    Number.isFinite(ops.latency[i]) ? ops.start[i] + ops.latency[i] : view.fullMax;
  const hasNemesis = r.nemesis.length > 0;
  const lanes = idx.lanes;
  const laneCount = lanes.length + (hasNemesis ? 1 : 0);
  const spacer = /** @type {HTMLElement} */ (box.querySelector('.spacer'));
  // Short timelines take only the height they need; long ones scroll inside a fixed box.
  const contentH = HEAD + laneCount * ROW + 4;
  const boxH = Math.min(420, contentH);
  box.style.height = `${boxH}px`;
  canvas.style.height = `${boxH}px`;
  spacer.style.marginTop = `-${boxH}px`;
  spacer.style.height = `${contentH}px`;
  /** @type {number} history index of the focused op, -1 for none */
  let focused = -1;
  // The timeline follows the charts' range, but focusing an op moves only the timeline: the charts keep their view.
  let range = { xMin: view.xMin, xMax: view.xMax };
  let area = { left: LABEL_W, width: 1 };
  const x = (/** @type {number} */ ms) => area.left + ((ms - range.xMin) / (range.xMax - range.xMin)) * area.width;
  const ms = (/** @type {number} */ px) => range.xMin + ((px - area.left) / area.width) * (range.xMax - range.xMin);
  const laneTop = (/** @type {number} */ lane) => HEAD + lane * ROW - box.scrollTop;

  function draw() {
    const { ctx, w, h } = sizeCanvas(canvas, 420);
    area = { left: LABEL_W, width: w - LABEL_W - 8 };
    ctx.fillStyle = COLORS.fault;
    for (const f of r.faults.windows)
      ctx.fillRect(x(f.startMs), HEAD, Math.max(1, x(f.endMs) - x(f.startMs)), h - HEAD);
    const first = Math.max(0, Math.floor(box.scrollTop / ROW));
    const last = Math.min(laneCount - 1, first + Math.ceil((h - HEAD) / ROW));
    let drawn = 0;
    for (let lane = first; lane <= last; lane++) drawn += drawLane(ctx, lane);
    ctx.clearRect(0, 0, w, HEAD);
    axis(ctx, w);
    canvas.dataset.drawn = String(drawn);
    canvas.dataset.focused = String(focused);
    const label = document.getElementById('timeline-range');
    if (label) label.textContent = `${fmtT(range.xMin)} – ${fmtT(range.xMax)}, ${drawn} ops drawn`;
  }

  /** @param {CanvasRenderingContext2D} ctx @param {number} lane */
  function drawLane(ctx, lane) {
    const top = laneTop(lane);
    ctx.fillStyle = COLORS.axis;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    if (hasNemesis && lane === 0) {
      ctx.fillText('nemesis', 4, top + ROW / 2);
      for (const n of r.nemesis) bar(ctx, n.startMs, n.endMs, top, COLORS.faultEdge, n.index);
      return r.nemesis.length;
    }
    const l = lanes[lane - (hasNemesis ? 1 : 0)];
    ctx.fillText(`p ${l.name}`, 4, top + ROW / 2);
    let count = 0;
    let lastPx = -1;
    for (let k = firstEndingAfter(l, end, range.xMin); k < l.ops.length; k++) {
      const i = l.ops[k];
      if (ops.start[i] > range.xMax) break;
      const x1 = x(end(i));
      // Ops narrower than a pixel that fall on an already painted pixel add nothing but time.
      if (x1 < lastPx + 1 && ops.invoke[i] !== focused) continue;
      lastPx = bar(ctx, ops.start[i], end(i), top, OUTCOME_COLORS[ops.outcome[i]], ops.invoke[i]);
      count++;
    }
    return count;
  }

  /** @param {CanvasRenderingContext2D} ctx @param {number} from @param {number} to @param {number} top @param {string} color @param {number} index */
  function bar(ctx, from, to, top, color, index) {
    const x0 = Math.max(area.left, x(from));
    const x1 = Math.min(area.left + area.width, x(to));
    if (x1 < area.left || x0 > area.left + area.width) return x1;
    ctx.fillStyle = color;
    ctx.fillRect(x0, top + 3, Math.max(1, x1 - x0), ROW - 6);
    if (index === focused) {
      ctx.strokeStyle = COLORS.focus;
      ctx.lineWidth = 2;
      ctx.strokeRect(x0 - 2, top + 1, Math.max(4, x1 - x0) + 4, ROW - 2);
    }
    return x1;
  }

  /** @param {CanvasRenderingContext2D} ctx @param {number} w */
  function axis(ctx, w) {
    ctx.fillStyle = COLORS.axis;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (const s of niceTicks(range.xMin / 1000, range.xMax / 1000, Math.max(2, Math.floor(area.width / 100)))) {
      ctx.fillText(`${Number(s.toPrecision(6))} s`, x(s * 1000), HEAD / 2);
    }
    ctx.fillStyle = COLORS.grid;
    ctx.fillRect(0, HEAD - 1, w, 1);
  }

  /** The op under the pointer, as its history index; -1 if none. @param {number} px @param {number} py */
  function hit(px, py) {
    const lane = Math.floor((py - HEAD + box.scrollTop) / ROW);
    const t = ms(px);
    const slack = (3 / area.width) * (range.xMax - range.xMin);
    if (hasNemesis && lane === 0)
      return r.nemesis.find((n) => n.startMs - slack <= t && t <= n.endMs + slack)?.index ?? -1;
    const l = lanes[lane - (hasNemesis ? 1 : 0)];
    if (!l) return -1;
    const k = firstEndingAfter(l, end, t - slack);
    const i = l.ops[k];
    return i !== undefined && ops.start[i] <= t + slack ? ops.invoke[i] : -1;
  }

  wireDrag(
    canvas,
    box,
    () => area,
    ms,
    (px, py) => {
      const index = hit(px, py);
      if (index >= 0) openOp(index);
    },
  );
  box.addEventListener('scroll', () => draw());
  onView((r) => {
    range = { ...r };
    draw();
  });
  for (const b of document.querySelectorAll('[data-zoom]')) {
    b.addEventListener('click', () => {
      if (/** @type {HTMLElement} */ (b).dataset.zoom === 'reset') resetView();
      else {
        const mid = (range.xMin + range.xMax) / 2;
        const w = range.xMax - range.xMin;
        setView(mid - w, mid + w);
      }
    });
  }
  draw();

  /** Brings an op into view and outlines it. @param {number} index @param {number} lane @param {number} from @param {number} to */
  function focus(index, lane, from, to) {
    focused = index;
    const top = HEAD + lane * ROW;
    if (top < box.scrollTop + HEAD || top > box.scrollTop + box.clientHeight - ROW)
      box.scrollTop = top - box.clientHeight / 2;
    // Zoom in to about a second around the op when the view is much wider, so its neighbours can be told apart.
    const width = range.xMax - range.xMin;
    const wanted = Math.max((to - from) * 20, 1000);
    const w = Math.min(view.fullMax, width > wanted * 30 ? wanted : width);
    if (from < range.xMin || to > range.xMax || w !== width) {
      const lo = Math.min(Math.max(0, (from + to) / 2 - w / 2), view.fullMax - w);
      range = { xMin: lo, xMax: lo + w };
    }
    draw();
  }

  return {
    draw,
    /** @param {number} opId */
    focusClient(opId) {
      const laneIdx = lanes.findIndex((l) => l.name === ops.processes[ops.process[opId]]);
      focus(ops.invoke[opId], laneIdx + (hasNemesis ? 1 : 0), ops.start[opId], end(opId));
    },
    /** @param {number} k */
    focusNemesis(k) {
      const n = r.nemesis[k];
      focus(n.index, 0, n.startMs, n.endMs);
    },
  };
}
