// The time range every time-based chart and the timeline show. Dragging across any of them narrows it for all, so a
// fault window can be examined in latency, throughput and the per-process ops at once; double-click resets it.

/** @typedef {(range: { xMin: number, xMax: number }) => void} Listener */

export const view = {
  fullMax: 1,
  xMin: 0,
  xMax: 1,
  /** @type {Listener[]} */
  listeners: [],
};

/** @param {number} durationMs */
export function initView(durationMs) {
  view.fullMax = Math.max(durationMs, 1);
  view.xMin = 0;
  view.xMax = view.fullMax;
}

/** @param {Listener} listener */
export function onView(listener) {
  view.listeners.push(listener);
}

/** Narrows (or widens) the range, kept within the run and at least 1 µs wide. @param {number} xMin @param {number} xMax */
export function setView(xMin, xMax) {
  const lo = Math.max(0, Math.min(xMin, xMax));
  const hi = Math.min(view.fullMax, Math.max(xMin, xMax));
  if (hi - lo < 0.001) return;
  view.xMin = lo;
  view.xMax = hi;
  for (const l of view.listeners) l({ xMin: lo, xMax: hi });
}

export function resetView() {
  setView(0, view.fullMax);
}
