// A small canvas chart: time on x (the shared view), a linear or log y axis, fault windows shaded and labelled, and
// layers drawn in the plot area. Canvas because 100,000 points is one loop of fillRect; no library, so nothing to
// fetch and nothing large to inline.
import { COLORS, sizeCanvas } from './dom.js';
import { resetView, setView, view } from './view.js';

/**
 * @typedef {object} Frame
 * @property {CanvasRenderingContext2D} ctx
 * @property {number} left
 * @property {number} top
 * @property {number} width
 * @property {number} height
 * @property {number} xMin
 * @property {number} xMax
 * @property {(ms: number) => number} x
 * @property {(v: number) => number} y
 */
/** @typedef {(f: Frame) => void} Layer */
/** @typedef {{ startMs: number, endMs: number, label: string }} Band */
/**
 * @typedef {object} PlotSpec
 * @property {HTMLCanvasElement} canvas
 * @property {boolean} [yLog]
 * @property {(xMin: number, xMax: number) => [number, number]} yExtent the data's y range within the view
 * @property {(v: number) => string} yFormat
 * @property {Layer[]} layers
 * @property {Band[]} bands
 * @property {{ atMs: number, label: string }[]} [instants]
 * @property {(ms: number) => string} [tip] text for the pointer's time
 * @property {(ms: number, px: number, py: number, f: Frame) => void} [onClick]
 */

const M = { left: 64, right: 14, top: 20, bottom: 24 };

/** About `count` round tick values from min to max. @param {number} min @param {number} max @param {number} count */
export function niceTicks(min, max, count) {
  const span = max - min || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Decades, with 2 and 5 between them when there are few. @param {number} min @param {number} max */
function logTicks(min, max) {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const mults = hi - lo <= 3 ? [1, 2, 5] : [1];
  const out = [];
  for (let e = lo; e <= hi; e++) for (const m of mults) out.push(m * 10 ** e);
  return out.filter((v) => v >= min && v <= max);
}

/** @param {PlotSpec} spec */
function frameOf(spec) {
  const { ctx, w: cssW, h: cssH } = sizeCanvas(spec.canvas, 280);
  let [yMin, yMax] = spec.yExtent(view.xMin, view.xMax);
  if (spec.yLog) {
    yMin = Math.max(yMin, 1e-3);
    yMax = Math.max(yMax, yMin * 10);
    yMin = 10 ** Math.floor(Math.log10(yMin));
    yMax = 10 ** Math.ceil(Math.log10(yMax));
  } else if (!(yMax > yMin)) yMax = yMin + 1;
  const width = cssW - M.left - M.right;
  const height = cssH - M.top - M.bottom;
  const { xMin, xMax } = view;
  const x = (/** @type {number} */ ms) => M.left + ((ms - xMin) / (xMax - xMin)) * width;
  const ly = (/** @type {number} */ v) => (spec.yLog ? Math.log10(Math.max(v, yMin)) : v);
  const [a, b] = [ly(yMin), ly(yMax)];
  const y = (/** @type {number} */ v) => M.top + height - ((ly(v) - a) / (b - a)) * height;
  return { frame: { ctx, left: M.left, top: M.top, width, height, xMin, xMax, x, y }, yMin, yMax, cssW, cssH };
}

/** @param {Frame} f @param {PlotSpec} spec @param {number} yMin @param {number} yMax */
function axes(f, spec, yMin, yMax) {
  const { ctx } = f;
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = COLORS.axis;
  ctx.strokeStyle = COLORS.grid;
  ctx.lineWidth = 1;
  const yt = spec.yLog ? logTicks(yMin, yMax) : niceTicks(yMin, yMax, 5);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const v of yt) {
    const py = Math.round(f.y(v)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(f.left, py);
    ctx.lineTo(f.left + f.width, py);
    ctx.stroke();
    ctx.fillText(spec.yFormat(v), f.left - 6, py);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const ms of niceTicks(f.xMin / 1000, f.xMax / 1000, Math.max(2, Math.floor(f.width / 90)))) {
    const px = Math.round(f.x(ms * 1000)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(px, f.top);
    ctx.lineTo(px, f.top + f.height);
    ctx.stroke();
    ctx.fillText(`${Number(ms.toPrecision(6))} s`, px, f.top + f.height + 5);
  }
  ctx.strokeStyle = COLORS.axis;
  ctx.strokeRect(f.left + 0.5, f.top + 0.5, f.width, f.height);
}

/** Fault windows: shaded, edged, and labelled along the top where there is room. @param {Frame} f @param {PlotSpec} spec */
function faults(f, spec) {
  const { ctx } = f;
  ctx.font = '10px system-ui, sans-serif';
  ctx.textBaseline = 'bottom';
  ctx.textAlign = 'left';
  let labelEnd = -Infinity;
  for (const b of spec.bands) {
    const x0 = Math.max(f.left, f.x(b.startMs));
    const x1 = Math.min(f.left + f.width, f.x(b.endMs));
    if (x1 < f.left || x0 > f.left + f.width) continue;
    ctx.fillStyle = COLORS.fault;
    ctx.fillRect(x0, f.top, Math.max(1, x1 - x0), f.height);
    ctx.fillStyle = COLORS.faultEdge;
    ctx.fillRect(x0, f.top, 1, f.height);
    // Labels never overlap: one that would is left to the tooltip and the fault table.
    const label = b.label.length > 40 ? `${b.label.slice(0, 39)}…` : b.label;
    if (x0 >= labelEnd) {
      ctx.fillText(label, x0 + 2, f.top - 3);
      labelEnd = x0 + ctx.measureText(label).width + 8;
    }
  }
  for (const i of spec.instants ?? []) {
    const px = f.x(i.atMs);
    if (px < f.left || px > f.left + f.width) continue;
    ctx.fillStyle = COLORS.faultEdge;
    ctx.fillRect(px, f.top, 1, f.height);
    const label = i.label.length > 24 ? `${i.label.slice(0, 23)}…` : i.label;
    // Instants come after the windows: labelled only where no window label is in the way (checked loosely).
    const width = ctx.measureText(label).width;
    if (!spec.bands.some((b) => Math.abs(f.x(b.startMs) - px) < width + 8)) {
      // Near the right edge the label goes to the line's left, so it is never cut off.
      ctx.fillText(label, px + 2 + width > f.left + f.width + M.right ? px - 2 - width : px + 2, f.top - 3);
    }
  }
}

/** Draws the chart now; returns it for redrawing. @param {PlotSpec} spec */
export function drawPlot(spec) {
  const { frame, yMin, yMax } = frameOf(spec);
  const { ctx } = frame;
  ctx.clearRect(0, 0, spec.canvas.width, spec.canvas.height);
  axes(frame, spec, yMin, yMax);
  faults(frame, spec);
  ctx.save();
  ctx.beginPath();
  ctx.rect(frame.left, frame.top, frame.width, frame.height);
  ctx.clip();
  for (const layer of spec.layers) layer(frame);
  ctx.restore();
  return frame;
}

/** Draws and wires a chart: hover text, drag to zoom every chart, double-click to reset, click. @param {PlotSpec} spec */
export function plot(spec) {
  let frame = drawPlot(spec);
  const box = /** @type {HTMLElement} */ (spec.canvas.parentElement);
  const tip = /** @type {HTMLElement | null} */ (box.querySelector('.tip'));
  const ms = (/** @type {number} */ px) => frame.xMin + ((px - frame.left) / frame.width) * (frame.xMax - frame.xMin);
  wireDrag(
    spec.canvas,
    box,
    () => frame,
    ms,
    (px, py) => spec.onClick?.(ms(px), px, py, frame),
  );
  spec.canvas.addEventListener('mousemove', (e) => {
    if (!tip || !spec.tip) return;
    const inside = e.offsetX >= frame.left && e.offsetX <= frame.left + frame.width;
    const bands = spec.bands
      .filter((b) => b.startMs <= ms(e.offsetX) && ms(e.offsetX) <= b.endMs)
      .map((b) => `fault: ${b.label}`);
    const text = inside ? [spec.tip(ms(e.offsetX)), ...bands].filter(Boolean).join('\n') : '';
    tip.hidden = text === '';
    tip.textContent = text;
    tip.style.left = `${Math.min(e.offsetX + 12, frame.left + frame.width - 220)}px`;
    tip.style.top = `${e.offsetY + 12}px`;
  });
  spec.canvas.addEventListener('mouseleave', () => {
    if (tip) tip.hidden = true;
  });
  return () => {
    frame = drawPlot(spec);
  };
}

/**
 * A drag selects a time range for every view; a click without a drag is a click.
 * @param {HTMLElement} canvas @param {HTMLElement} box @param {() => { left: number, width: number }} area
 * @param {(px: number) => number} ms @param {(px: number, py: number) => void} click
 */
export function wireDrag(canvas, box, area, ms, click) {
  const sel = document.createElement('div');
  sel.className = 'select-box';
  sel.hidden = true;
  box.appendChild(sel);
  /** @type {number | null} */
  let from = null;
  canvas.addEventListener('mousedown', (e) => {
    from = e.offsetX;
  });
  canvas.addEventListener('mousemove', (e) => {
    if (from === null || Math.abs(e.offsetX - from) < 4) return;
    sel.hidden = false;
    sel.style.left = `${Math.min(from, e.offsetX)}px`;
    sel.style.width = `${Math.abs(e.offsetX - from)}px`;
  });
  window.addEventListener('mouseup', (e) => {
    if (from === null) return;
    const start = from;
    from = null;
    sel.hidden = true;
    const end = e.clientX - canvas.getBoundingClientRect().left;
    const { left, width } = area();
    const [lo, hi] = [Math.max(left, Math.min(start, end)), Math.min(left + width, Math.max(start, end))];
    if (Math.abs(end - start) >= 4) setView(ms(lo), ms(hi));
    else if (e.target === canvas) click(e.offsetX, e.offsetY);
  });
  canvas.addEventListener('dblclick', () => resetView());
}
