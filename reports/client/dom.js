// Small helpers shared by the page's scripts: formatting, escaping, and colours.

export const COLORS = {
  ok: '#2e9d57',
  fail: '#d1453b',
  info: '#e0a100',
  open: '#7a7a7a',
  fault: 'rgba(220, 80, 60, 0.12)',
  faultEdge: 'rgba(220, 80, 60, 0.55)',
  focus: '#3b5bdb',
  grid: '#eceef2',
  axis: '#6b7280',
};

/** Colours by outcome code (ok, fail, info, open). */
export const OUTCOME_COLORS = [COLORS.ok, COLORS.fail, COLORS.info, COLORS.open];
export const OUTCOME_NAMES = ['ok', 'fail', 'info', 'open'];

/** A qualitative palette for series without a meaning of their own (fail reasons, quantiles). */
export const PALETTE = [
  '#3b5bdb',
  '#d1453b',
  '#e0a100',
  '#2e9d57',
  '#9c36b5',
  '#0c8599',
  '#e8590c',
  '#5c940d',
  '#868e96',
];

/** @param {unknown} value */
export function esc(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** @param {number} ms */
export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms).toLocaleString('en-US')} ms`;
}

/** A time since the run started, in seconds. @param {number} ms */
export function fmtT(ms) {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 3 : 2)} s`;
}

/** @param {string} id @param {{ label: string, color: string }[]} items */
export function setLegend(id, items) {
  const el = document.getElementById(id);
  if (!el) return;
  el.innerHTML = items.map((i) => `<span><i style="background:${i.color}"></i>${esc(i.label)}</span>`).join('');
}

/** @template {Element} T @param {string} selector @param {ParentNode} [root] @returns {T} */
export function $(selector, root = document) {
  const el = root.querySelector(selector);
  if (!el) throw new Error(`the page has no ${selector}`);
  return /** @type {T} */ (el);
}

/** First index in sorted `a` (ascending) whose value is >= x. @param {ArrayLike<number>} a @param {number} x */
export function lowerBound(a, x) {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Sizes the canvas's backing store to its CSS box at the device's pixel ratio (crisp lines on any screen), and
 * returns a context that draws in CSS pixels.
 * @param {HTMLCanvasElement} canvas @param {number} fallbackH
 */
export function sizeCanvas(canvas, fallbackH) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 800;
  const h = canvas.clientHeight || fallbackH;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, w, h };
}
