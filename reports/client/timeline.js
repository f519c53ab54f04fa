// The per-process timeline: one lane per process (nemesis first), each op a bar from invocation to completion,
// coloured by outcome. No cap on ops: only the lanes scrolled into view and the ops inside the time range are
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
const HEIGHT_MAX = 420;

export class Timeline {
  /** @param {Report} r @param {ReportIndex} idx @param {(index: number) => void} openOp */
  constructor(r, idx, openOp) {
    this.r = r;
    this.ops = r.ops;
    this.lanes = idx.lanes;
    this.box = /** @type {HTMLElement} */ (document.getElementById('timeline'));
    this.canvas = /** @type {HTMLCanvasElement} */ (document.getElementById('timeline-canvas'));
    this.hasNemesis = r.nemesis.length > 0;
    this.laneCount = this.lanes.length + (this.hasNemesis ? 1 : 0);
    /** History index of the focused op (its invocation), -1 for none. */
    this.focused = -1;
    // The timeline follows the charts' range, but focusing an op moves only the timeline: the charts keep theirs.
    this.range = { xMin: view.xMin, xMax: view.xMax };
    this.area = { left: LABEL_W, width: 1 };
    this.size();
    this.wire(openOp);
    this.draw();
  }

  /** Short timelines take only the height they need; long ones scroll inside a fixed box. */
  size() {
    const spacer = /** @type {HTMLElement} */ (this.box.querySelector('.spacer'));
    const contentH = HEAD + this.laneCount * ROW + 4;
    const boxH = Math.min(HEIGHT_MAX, contentH);
    this.box.style.height = `${boxH}px`;
    this.canvas.style.height = `${boxH}px`;
    spacer.style.marginTop = `-${boxH}px`;
    spacer.style.height = `${contentH}px`;
  }

  /** @param {(index: number) => void} openOp */
  wire(openOp) {
    const ms = (/** @type {number} */ px) => this.ms(px);
    wireDrag(
      this.canvas,
      this.box,
      () => this.area,
      ms,
      (px, py) => {
        const index = this.hit(px, py);
        if (index >= 0) openOp(index);
      },
    );
    this.box.addEventListener('scroll', () => this.draw());
    onView((range) => {
      this.range = { ...range };
      this.draw();
    });
    for (const b of document.querySelectorAll('[data-zoom]')) {
      b.addEventListener('click', () => {
        if (/** @type {HTMLElement} */ (b).dataset.zoom === 'reset') return resetView();
        const mid = (this.range.xMin + this.range.xMax) / 2;
        const w = this.range.xMax - this.range.xMin;
        setView(mid - w, mid + w);
      });
    }
  }

  /** @param {number} ms */
  x(ms) {
    const { xMin, xMax } = this.range;
    return this.area.left + ((ms - xMin) / (xMax - xMin)) * this.area.width;
  }

  /** @param {number} px */
  ms(px) {
    const { xMin, xMax } = this.range;
    return xMin + ((px - this.area.left) / this.area.width) * (xMax - xMin);
  }

  /** When op i ended; an op never completed runs to the end. @param {number} i */
  end(i) {
    const l = this.ops.latency[i];
    return Number.isFinite(l) ? this.ops.start[i] + l : view.fullMax;
  }

  /** First op in the lane still running at `ms`. @param {Lane} lane @param {number} ms */
  firstEndingAfter(lane, ms) {
    let lo = 0;
    let hi = lane.ops.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.end(lane.ops[mid]) < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  draw() {
    const { ctx, w, h } = sizeCanvas(this.canvas, HEIGHT_MAX);
    this.area = { left: LABEL_W, width: w - LABEL_W - 8 };
    ctx.fillStyle = COLORS.fault;
    for (const f of this.r.faults.windows) {
      ctx.fillRect(this.x(f.startMs), HEAD, Math.max(1, this.x(f.endMs) - this.x(f.startMs)), h - HEAD);
    }
    const first = Math.max(0, Math.floor(this.box.scrollTop / ROW));
    const last = Math.min(this.laneCount - 1, first + Math.ceil((h - HEAD) / ROW));
    let drawn = 0;
    for (let lane = first; lane <= last; lane++) drawn += this.drawLane(ctx, lane);
    ctx.clearRect(0, 0, w, HEAD);
    this.axis(ctx, w);
    this.canvas.dataset.drawn = String(drawn);
    this.canvas.dataset.focused = String(this.focused);
    const label = document.getElementById('timeline-range');
    if (label) label.textContent = `${fmtT(this.range.xMin)} – ${fmtT(this.range.xMax)}, ${drawn} ops drawn`;
  }

  /** Draws one lane's visible ops; returns how many. @param {CanvasRenderingContext2D} ctx @param {number} lane */
  drawLane(ctx, lane) {
    const top = HEAD + lane * ROW - this.box.scrollTop;
    ctx.fillStyle = COLORS.axis;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    if (this.hasNemesis && lane === 0) {
      ctx.fillText('nemesis', 4, top + ROW / 2);
      for (const n of this.r.nemesis) this.bar(ctx, n.startMs, n.endMs, top, COLORS.faultEdge, n.index);
      return this.r.nemesis.length;
    }
    const l = this.lanes[lane - (this.hasNemesis ? 1 : 0)];
    const ops = this.ops;
    ctx.fillText(`p ${l.name}`, 4, top + ROW / 2);
    let count = 0;
    let lastPx = -1;
    for (let k = this.firstEndingAfter(l, this.range.xMin); k < l.ops.length; k++) {
      const i = l.ops[k];
      if (ops.start[i] > this.range.xMax) break;
      // Ops narrower than a pixel that fall on an already painted pixel add nothing but time.
      if (this.x(this.end(i)) < lastPx + 1 && ops.invoke[i] !== this.focused) continue;
      lastPx = this.bar(ctx, ops.start[i], this.end(i), top, OUTCOME_COLORS[ops.outcome[i]], ops.invoke[i]);
      count++;
    }
    return count;
  }

  /**
   * One op's bar, outlined when focused; returns its right edge.
   * @param {CanvasRenderingContext2D} ctx @param {number} from @param {number} to @param {number} top
   * @param {string} color @param {number} index
   */
  bar(ctx, from, to, top, color, index) {
    const { left, width } = this.area;
    const x0 = Math.max(left, this.x(from));
    const x1 = Math.min(left + width, this.x(to));
    if (x1 < left || x0 > left + width) return x1;
    ctx.fillStyle = color;
    ctx.fillRect(x0, top + 3, Math.max(1, x1 - x0), ROW - 6);
    if (index === this.focused) {
      ctx.strokeStyle = COLORS.focus;
      ctx.lineWidth = 2;
      ctx.strokeRect(x0 - 2, top + 1, Math.max(4, x1 - x0) + 4, ROW - 2);
    }
    return x1;
  }

  /** @param {CanvasRenderingContext2D} ctx @param {number} w */
  axis(ctx, w) {
    ctx.fillStyle = COLORS.axis;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    const { xMin, xMax } = this.range;
    for (const s of niceTicks(xMin / 1000, xMax / 1000, Math.max(2, Math.floor(this.area.width / 100)))) {
      ctx.fillText(`${Number(s.toPrecision(6))} s`, this.x(s * 1000), HEAD / 2);
    }
    ctx.fillStyle = COLORS.grid;
    ctx.fillRect(0, HEAD - 1, w, 1);
  }

  /** The op under the pointer, as its history index; -1 if none. @param {number} px @param {number} py */
  hit(px, py) {
    const lane = Math.floor((py - HEAD + this.box.scrollTop) / ROW);
    const t = this.ms(px);
    const slack = (3 / this.area.width) * (this.range.xMax - this.range.xMin);
    if (this.hasNemesis && lane === 0) {
      return this.r.nemesis.find((n) => n.startMs - slack <= t && t <= n.endMs + slack)?.index ?? -1;
    }
    const l = this.lanes[lane - (this.hasNemesis ? 1 : 0)];
    if (!l) return -1;
    const i = l.ops[this.firstEndingAfter(l, t - slack)];
    return i !== undefined && this.ops.start[i] <= t + slack ? this.ops.invoke[i] : -1;
  }

  /** Brings an op into view and outlines it. @param {number} index @param {number} lane @param {number} from @param {number} to */
  focus(index, lane, from, to) {
    this.focused = index;
    const top = HEAD + lane * ROW;
    const box = this.box;
    if (top < box.scrollTop + HEAD || top > box.scrollTop + box.clientHeight - ROW) {
      box.scrollTop = top - box.clientHeight / 2;
    }
    // Zoom in to about a second around the op when the view is much wider, so its neighbours can be told apart.
    const width = this.range.xMax - this.range.xMin;
    const wanted = Math.max((to - from) * 20, 1000);
    const w = Math.min(view.fullMax, width > wanted * 30 ? wanted : width);
    if (from < this.range.xMin || to > this.range.xMax || w !== width) {
      const lo = Math.min(Math.max(0, (from + to) / 2 - w / 2), view.fullMax - w);
      this.range = { xMin: lo, xMax: lo + w };
    }
    this.draw();
  }

  /** @param {number} opId */
  focusClient(opId) {
    const ops = this.ops;
    const lane = this.lanes.findIndex((l) => l.name === ops.processes[ops.process[opId]]);
    this.focus(ops.invoke[opId], lane + (this.hasNemesis ? 1 : 0), ops.start[opId], this.end(opId));
  }

  /** @param {number} k */
  focusNemesis(k) {
    const n = this.r.nemesis[k];
    this.focus(n.index, 0, n.startMs, n.endMs);
  }
}
