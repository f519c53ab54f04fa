// Every history op in a table, virtualised: only the rows in view exist in the page, so a million ops scroll as
// smoothly as a hundred. Each rendered row has the id op-<index>; the op detail panel shows one op in full.
import { ROLE } from './data.js';
import { $, esc, fmtMs, fmtT, lowerBound, OUTCOME_NAMES } from './dom.js';

/** @typedef {import('./types.js').Report} Report */
/** @typedef {import('./data.js').ReportIndex} ReportIndex */

const ROW = 20;

/** The cells of history op h's row, after its index. @param {Report} r @param {ReportIndex} idx @param {number} h */
function rowCells(r, idx, h) {
  const k = idx.rowOp[h];
  const role = idx.rowRole[h];
  const ops = r.ops;
  if (role === ROLE.invoke || role === ROLE.completion) {
    const done = role === ROLE.completion;
    const type = done ? OUTCOME_NAMES[ops.outcome[k]] : 'invoke';
    const time = done ? ops.start[k] + ops.latency[k] : ops.start[k];
    const what = ops.summaries[done ? ops.result[k] : ops.request[k]];
    return [fmtT(time), ops.processes[ops.process[k]], type, ops.fs[ops.f[k]], done ? fmtMs(ops.latency[k]) : '', what];
  }
  if (role === ROLE.nemesisInvoke || role === ROLE.nemesisCompletion) {
    const n = r.nemesis[k];
    const done = role === ROLE.nemesisCompletion;
    const took = done ? fmtMs(n.endMs - n.startMs) : '';
    return [
      fmtT(done ? n.endMs : n.startMs),
      'nemesis',
      done ? n.type : 'invoke',
      n.f,
      took,
      JSON.stringify(n.value) ?? '',
    ];
  }
  return ['', '', '?', '', '', ''];
}

/**
 * The history indices a filter shows, ascending; null for all of them.
 * @param {Report} r @param {ReportIndex} idx @param {string} which
 */
function filterRows(r, idx, which) {
  /** @type {number[]} */
  let list;
  if (which === 'nemesis') list = r.nemesis.flatMap((n) => (n.completion >= 0 ? [n.index, n.completion] : [n.index]));
  else if (which === 'anomalies') list = [...idx.citedBy.keys()];
  else if (which === 'trouble') {
    list = [];
    const ops = r.ops;
    for (let i = 0; i < ops.n; i++) if (ops.outcome[i] === 1 || ops.outcome[i] === 2) list.push(ops.completion[i]);
  } else return null;
  return Int32Array.from(list).sort();
}

/** @param {Report} r @param {ReportIndex} idx @param {(index: number) => void} openOp */
export function opsTable(r, idx, openOp) {
  const scroll = /** @type {HTMLElement} */ ($('#ops-table .ops-scroll'));
  const spacer = /** @type {HTMLElement} */ ($('.spacer', scroll));
  const rowsEl = /** @type {HTMLElement} */ ($('.rows', scroll));
  const filter = /** @type {HTMLSelectElement} */ ($('#ops-filter'));
  const count = $('#ops-count');
  /** @type {Int32Array | null} history indices shown, ascending; null: all of them */
  let rows = null;
  let focused = -1;
  const size = () => (rows ? rows.length : r.meta.historyLength);

  /** @param {number} h */
  function rowHtml(h) {
    const cls = `ops-row${h === focused ? ' focused' : ''}${idx.citedBy.has(h) ? ' cited' : ''}`;
    const cells = rowCells(r, idx, h);
    const tds = cells.map((c, i) => `<span${i === 2 ? ` class="t-${esc(c)}"` : ''}>${esc(c)}</span>`).join('');
    return `<div class="${cls}" id="op-${h}" data-index="${h}" role="row"><span>${h}</span>${tds}</div>`;
  }

  // Only the rows in view (and a few either side) exist in the page.
  function render() {
    const first = Math.max(0, Math.floor(scroll.scrollTop / ROW) - 5);
    const last = Math.min(size(), first + Math.ceil(scroll.clientHeight / ROW) + 10);
    const parts = [];
    for (let p = first; p < last; p++) parts.push(rowHtml(rows ? rows[p] : p));
    rowsEl.style.transform = `translateY(${first * ROW}px)`;
    rowsEl.innerHTML = parts.join('');
  }

  /** @param {string} which */
  function applyFilter(which) {
    rows = filterRows(r, idx, which);
    spacer.style.height = `${size() * ROW}px`;
    count.textContent = `${size()} of ${r.meta.historyLength} ops`;
    render();
  }

  filter.addEventListener('change', () => applyFilter(filter.value));
  scroll.addEventListener('scroll', render);
  rowsEl.addEventListener('click', (e) => {
    const row = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (e.target).closest('.ops-row'));
    if (row) openOp(Number(row.dataset.index));
  });
  applyFilter(filter.value);

  return {
    /** Scrolls the op's row to the middle of the table and marks it. @param {number} h */
    focus(h) {
      focused = h;
      if (rows && rows[lowerBound(rows, h)] !== h) {
        filter.value = 'all';
        applyFilter('all');
      }
      const p = rows ? lowerBound(rows, h) : h;
      scroll.scrollTop = Math.max(0, p * ROW - scroll.clientHeight / 2 + ROW / 2);
      render();
    },
  };
}

/** The detail panel's content for history index h. @param {Report} r @param {ReportIndex} idx @param {number} h */
export function opDetailHtml(r, idx, h) {
  const k = idx.rowOp[h];
  const role = idx.rowRole[h];
  const link = (/** @type {number} */ i) =>
    i >= 0 ? `<a class="op-link" href="#op-${i}">${i}</a>` : 'none (never completed)';
  /** @type {[string, string][]} */
  let rows;
  if (role === ROLE.invoke || role === ROLE.completion) {
    const ops = r.ops;
    const outcome = OUTCOME_NAMES[ops.outcome[k]];
    rows = [
      ['f', esc(ops.fs[ops.f[k]])],
      ['process', esc(ops.processes[ops.process[k]])],
      ['outcome', `<span class="t-${outcome}">${outcome}</span>`],
      ['invoked', `${fmtT(ops.start[k])} (op ${link(ops.invoke[k])})`],
      [
        'completed',
        ops.completion[k] >= 0 ? `${fmtT(ops.start[k] + ops.latency[k])} (op ${link(ops.completion[k])})` : link(-1),
      ],
      ['latency', fmtMs(ops.latency[k])],
      ['request', esc(ops.summaries[ops.request[k]])],
      ['result', esc(ops.summaries[ops.result[k]])],
    ];
    if (Number.isFinite(ops.queueMs[k])) rows.push(['queue delay', fmtMs(ops.queueMs[k])]);
    for (const i of [ops.invoke[k], ops.completion[k]]) {
      const d = idx.details.get(i);
      if (d) rows.push([`value of op ${i}`, `<code>${esc(d.value)}</code>${d.error ? ` error: ${esc(d.error)}` : ''}`]);
    }
  } else if (role === ROLE.nemesisInvoke || role === ROLE.nemesisCompletion) {
    const n = r.nemesis[k];
    rows = [
      ['f', esc(n.f)],
      ['process', 'nemesis'],
      ['outcome', esc(n.type)],
      ['invoked', `${fmtT(n.startMs)} (op ${link(n.index)})`],
      ['completed', `${fmtT(n.endMs)} (op ${link(n.completion)})`],
      ['what was done', `<code>${esc(JSON.stringify(n.value))}</code>`],
    ];
    if (n.error) rows.push(['error', esc(n.error)]);
  } else rows = [['', 'no such op in this history']];
  const cited = idx.citedBy.get(h) ?? [];
  if (cited.length > 0) rows.push(['cited by', cited.map(esc).join('<br>')]);
  const body = rows.map(([a, b]) => `<tr><td class="muted">${a}</td><td>${b}</td></tr>`).join('');
  return `<h3>op ${h}</h3><table>${body}</table>`;
}
