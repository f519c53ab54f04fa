// The report page's entry: decode the data, draw the charts, the timeline and the ops table, and resolve #op-<index>
// links (from anomalies, the fault table, a click on a chart or a row) to the op in all of them. Sets
// window.__reportReady once the first render is done, for the browser tests and the load-time benchmark.

import { drawCharts } from './charts.js';
import { indexReport, ROLE, readEmbedded } from './data.js';
import { opDetailHtml, opsTable } from './opstable.js';
import { Timeline } from './timeline.js';
import { initView, onView } from './view.js';

/** @typedef {import('./types.js').Report} Report */

function start() {
  const r = /** @type {Report} */ (readEmbedded());
  const idx = indexReport(r);
  initView(r.meta.durationMs);
  const detail = /** @type {HTMLElement} */ (document.getElementById('op-detail'));
  const section = /** @type {HTMLElement} */ (document.getElementById('ops'));

  /** @param {number} h */
  const openOp = (h) => {
    if (location.hash === `#op-${h}`) focusOp(h);
    else location.hash = `op-${h}`;
  };
  const charts = drawCharts(r, openOp);
  const table = opsTable(r, idx, openOp);
  const lanes = new Timeline(r, idx, openOp);
  onView(() => {
    for (const redraw of charts) redraw();
  });

  /** @param {number} h */
  function focusOp(h) {
    if (!(h >= 0 && h < r.meta.historyLength)) return;
    detail.innerHTML = opDetailHtml(r, idx, h);
    detail.classList.add('focused');
    const role = idx.rowRole[h];
    if (role === ROLE.invoke || role === ROLE.completion) lanes.focusClient(idx.rowOp[h]);
    else if (role === ROLE.nemesisInvoke || role === ROLE.nemesisCompletion) lanes.focusNemesis(idx.rowOp[h]);
    table.focus(h);
    // The section's top shows the detail panel; on a short window the row may still be below it, so bring it in.
    section.scrollIntoView({ block: 'start' });
    document.getElementById(`op-${h}`)?.scrollIntoView({ block: 'nearest' });
  }

  const fromHash = () => {
    const m = /^#op-(\d+)$/.exec(location.hash);
    if (m) focusOp(Number(m[1]));
  };
  window.addEventListener('hashchange', fromHash);
  let pending = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => {
      for (const redraw of charts) redraw();
      lanes.draw();
    });
  });
  fromHash();
}

try {
  start();
} catch (err) {
  const box = document.createElement('p');
  box.className = 'error';
  box.textContent = `The report's script failed: ${err instanceof Error ? err.message : String(err)}`;
  document.body.prepend(box);
  throw err;
} finally {
  /** @type {{ __reportReady?: boolean }} */ (/** @type {unknown} */ (window)).__reportReady = true;
}
