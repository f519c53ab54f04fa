// The report's data sections: the chart frames the script draws into, the fault windows, the percentile tables, the
// leadership timeline (small enough to be SVG rendered here, positioned in percent so it needs no script), and the
// frame of the per-process timeline and ops table.
import { fmtDuration, fmtMs, html, type Raw } from './html.ts';
import type { ReportModel } from './model.ts';
import { opLink } from './sections.ts';
import type { FailRow, PercentileRow } from './tables.ts';

/** A canvas chart the script fills; `note` explains what is plotted. */
function chart(id: string, title: string, note: string, empty: string | undefined): Raw {
  return html`<figure class="chart" id="fig-${id}">
  <figcaption><b>${title}</b> <span class="muted">${note}</span></figcaption>
  ${empty === undefined ? html`<div class="plot"><canvas id="chart-${id}" data-chart="${id}"></canvas><div class="tip" hidden></div></div><div class="legend" id="legend-${id}"></div>` : html`<p class="empty">${empty}</p>`}
</figure>`;
}

export function chartSections(m: ReportModel): Raw {
  const noOps = m.ops.n === 0 ? 'No client ops in the history.' : undefined;
  const completed = m.counts.ok + m.counts.fail + m.counts.info;
  const noDone = completed === 0 ? 'No client op completed.' : undefined;
  const zoom = 'Drag across a chart to zoom all of them and the timeline; double-click to reset.';
  return html`<section id="latency"><h2>Latency</h2>
  ${chart('latency', 'Latency per op', `by invocation time, log scale; fault windows shaded. Click a point to open its op. ${zoom}`, noDone)}
</section>
<section id="quantiles"><h2>Latency quantiles over time</h2>
  ${chart('quantiles', 'p50, p90, p99', `per ${fmtDuration(m.buckets.widthMs)} bucket of invocation time, every completion (ok, fail, info)`, noDone)}
</section>
<section id="throughput"><h2>Throughput and abort rate</h2>
  ${chart('throughput', 'Completions per second', `per ${fmtDuration(m.buckets.widthMs)} bucket of completion time, by outcome`, noDone ?? noOps)}
  ${chart('failrate', 'Abort and failure rate by reason', 'share of the bucket\u2019s completions that failed, per reason', Object.keys(m.buckets.failRate).length === 0 ? 'No op failed.' : undefined)}
</section>`;
}

export function faultsSection(m: ReportModel): Raw {
  const { windows, instants } = m.faults;
  const a = m.availability;
  // The stats checker measured the same windows from the same history, in the same order.
  const measured = (i: number) => (a?.windows.length === windows.length ? a.windows[i] : undefined);
  const unavailable = (i: number): Raw => {
    const u = measured(i);
    if (!u) return html`<td></td><td></td>`;
    const gap = html`${fmtMs(u.longestGapMs)}${u.cut ? html` <span class="muted">to the end</span>` : ''}${u.overBound ? html` <strong>over the bound</strong>` : ''}`;
    const lead = u.leaderLoss ? (u.newLeaderMs === undefined ? 'never' : fmtMs(u.newLeaderMs)) : '';
    return html`<td>${gap}</td><td>${lead}</td>`;
  };
  const rows = [
    ...windows.map((w, i) => ({
      at: w.startMs,
      row: html`<tr><td>${w.kind}</td><td>${w.label}</td><td>${fmtDuration(w.startMs)}</td><td>${fmtDuration(w.endMs)}</td><td>${fmtDuration(w.endMs - w.startMs)}</td>${unavailable(i)}<td>${opLink(w.openedBy)} ${w.closedBy < 0 ? html`<span class="muted">open at the end</span>` : opLink(w.closedBy)}</td></tr>`,
    })),
    ...instants.map((i) => ({
      at: i.atMs,
      row: html`<tr><td>instant</td><td>${i.label}</td><td>${fmtDuration(i.atMs)}</td><td></td><td></td><td></td><td></td><td>${opLink(i.index)}</td></tr>`,
    })),
  ].sort((x, y) => x.at - y.at);
  const bound =
    a?.boundMs === undefined || a.leaderLossWindows === 0
      ? ''
      : html`<p>Leader losses: ${a.leaderLossWindows}, the worst ${fmtMs(a.worstLeaderLossGapMs ?? 0)} without an ok; the bound (lease TTL + 500 ms) is ${fmtMs(a.boundMs)}, and ${a.overBound} went over it.</p>`;
  const body =
    rows.length === 0
      ? html`<p class="empty">No nemesis ops in the history: no faults were injected.</p>`
      : html`${bound}<table class="data"><thead><tr><th>kind</th><th>what</th><th>from</th><th>to</th><th>for</th><th title="the longest stretch without an ok completion that began in the window">longest gap</th><th title="from the fault's start to the first ok of a transaction logged under a newer epoch">new leader's first ok</th><th>ops</th></tr></thead><tbody>${rows.map((r) => r.row)}</tbody></table>`;
  return html`<section id="faults"><h2>Faults</h2>${body}</section>`;
}

function percentileTable(rows: PercentileRow[], first: string, outcomes: boolean): Raw {
  const head = outcomes ? html`<th>ok</th><th>fail</th><th>info</th>` : '';
  return html`<table class="data num"><thead><tr><th>${first}</th><th>count</th>${head}<th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr></thead><tbody>${rows.map(
    (r) =>
      html`<tr class="${r.group === 'all' || r.group.includes('all/') || r.group.endsWith('/all') ? 'total' : ''}"><td>${r.group}</td><td>${r.count}</td>${outcomes ? html`<td>${r.ok}</td><td>${r.fail}</td><td>${r.info}</td>` : ''}<td>${fmtMs(r.p50)}</td><td>${fmtMs(r.p90)}</td><td>${fmtMs(r.p99)}</td><td>${fmtMs(r.p999)}</td><td>${fmtMs(r.max)}</td></tr>`,
  )}</tbody></table>`;
}

function failRows(rows: FailRow[]): Raw {
  return html`<table class="data num"><thead><tr><th>op</th><th>reason</th><th>fail</th></tr></thead><tbody>${rows.map(
    (r) => html`<tr><td>${r.f}</td><td>${r.reason}</td><td>${r.count}</td></tr>`,
  )}</tbody></table>`;
}

export function percentileSections(m: ReportModel): Raw {
  const latency =
    m.latencyTable.length === 0
      ? html`<p class="empty">No client op completed.</p>`
      : percentileTable(m.latencyTable, 'op', true);
  const fails = m.failTable.length === 0 ? html`<p class="empty">No client op failed.</p>` : failRows(m.failTable);
  const queue =
    m.queueTable.length === 0
      ? html`<p class="empty">No completion reported a scheduler queue delay (timings.queueMs).</p>`
      : percentileTable(m.queueTable, 'class', false);
  return html`<section id="percentiles"><h2>Latency percentiles</h2>
  <p class="muted">HDR histograms (3 significant digits) of every completion's latency: creates per protocol and traffic class, other ops (read, modify, release) by op.</p>
  ${latency}
  <h3>Failures by op and reason</h3>
  <p class="muted">Nothing changed for these: a 412 (precondition_failed) is a write whose If-Match named a revision that had moved on; not_active, a session released or with another change in flight.</p>
  ${fails}
</section>
<section id="queue"><h2>Scheduler queue delay</h2>
  <p class="muted">From the timings.queueMs the session manager reported with each answer, per traffic class.</p>
  ${queue}
</section>`;
}

const EPOCH_HUES = [210, 30, 140, 280, 0, 90, 180, 330];
const pct = (ms: number, total: number) => `${((100 * ms) / Math.max(total, 1e-9)).toFixed(3)}%`;

export function leadershipSection(m: ReportModel): Raw {
  const { nodes, terms, events } = m.leadership;
  if (nodes.length === 0) {
    return html`<section id="leadership"><h2>Leadership</h2><p class="empty">No leader observations in this run.</p></section>`;
  }
  const total = m.meta.durationMs;
  const laneH = 26;
  const top = 18;
  const height = top + nodes.length * laneH + 4;
  const y = (node: string) => top + nodes.indexOf(node) * laneH;
  const shades = m.faults.windows.map(
    (w) =>
      html`<rect class="fault" x="${pct(w.startMs, total)}" width="${pct(w.endMs - w.startMs, total)}" y="0" height="${height}"><title>${w.label}</title></rect>`,
  );
  // Terms acquired before the run's clock started (negative times) are drawn from its start.
  const bars = terms.map(({ ...t }) => {
    t.startMs = Math.max(0, t.startMs);
    t.endMs = Math.max(t.startMs, t.endMs);
    const hue = EPOCH_HUES[t.epoch % EPOCH_HUES.length];
    const width = (t.endMs - t.startMs) / Math.max(total, 1e-9);
    return html`<g class="term ${t.end === 'superseded' ? 'superseded' : ''}"><rect x="${pct(t.startMs, total)}" width="${pct(t.endMs - t.startMs, total)}" y="${y(t.node) + 3}" height="${laneH - 8}" fill="hsl(${hue} 60% 70%)"><title>${t.node} epoch ${t.epoch}: ${fmtDuration(t.startMs)} to ${fmtDuration(t.endMs)} (${t.end})</title></rect>${width > 0.03 ? html`<text x="${pct(t.startMs + (t.endMs - t.startMs) / 2, total)}" y="${y(t.node) + laneH / 2 + 3}" text-anchor="middle">epoch ${t.epoch}</text>` : ''}</g>`;
  });
  const ticks = events
    .filter((e) => e.event !== 'acquire')
    .map(
      (e) =>
        html`<line class="ev ${e.event}" x1="${pct(e.atMs, total)}" x2="${pct(e.atMs, total)}" y1="${y(e.node) + 1}" y2="${y(e.node) + laneH - 3}"><title>${e.node} ${e.event} (epoch ${e.epoch}) at ${fmtDuration(e.atMs)}</title></line>`,
    );
  const labels = nodes.map((n) => html`<div style="height:${laneH}px">${n}</div>`);
  const axis = [0, 0.25, 0.5, 0.75, 1].map(
    (f) =>
      html`<text x="${(f * 100).toFixed(1)}%" y="12" text-anchor="${f === 0 ? 'start' : f === 1 ? 'end' : 'middle'}">${fmtDuration(f * total)}</text>`,
  );
  return html`<section id="leadership"><h2>Leadership</h2>
  <p class="muted">Each bar is a term: a node holding an epoch from its acquire to its step-down or failed renewal; a dashed end means a newer epoch superseded it. Red ticks: renewal failed; grey: stepped down. Faults shaded.</p>
  <div class="lanes"><div class="lane-labels" style="padding-top:${top}px">${labels}</div>
  <svg id="leadership-svg" class="leadership" width="100%" height="${height}" role="img" aria-label="leadership timeline">${shades}${axis}${bars}${ticks}</svg></div>
</section>`;
}

export function opsSection(m: ReportModel): Raw {
  return html`<section id="ops"><h2>Ops</h2>
  <div id="op-detail" class="op-detail"><p class="muted">Click an op in the timeline, the table or a chart, or an op link in an anomaly, to see it here.</p></div>
  <h3>All ops</h3>
  <div class="ops-tools"><label>show <select id="ops-filter"><option value="all">every op</option><option value="trouble">fail and info completions</option><option value="nemesis">nemesis ops</option><option value="anomalies">ops cited by anomalies</option></select></label> <span id="ops-count" class="muted"></span></div>
  <div id="ops-table" class="ops-table" role="table"><div class="ops-head" role="row"><span>index</span><span>time</span><span>process</span><span>type</span><span>f</span><span>latency</span><span>what</span></div><div class="ops-scroll"><div class="spacer"></div><div class="rows"></div></div></div>
  <h3>Per-process timeline</h3>
  <p class="muted">Every op of every process (${m.ops.n} client ops, ${m.nemesis.length} nemesis ops), drawn only where visible. Drag to zoom, double-click to reset, scroll for more processes.</p>
  <div class="timeline-tools"><button type="button" data-zoom="out">zoom out</button> <button type="button" data-zoom="reset">whole run</button> <span id="timeline-range" class="muted"></span></div>
  <div id="timeline" class="timeline"><canvas id="timeline-canvas"></canvas><div class="spacer"></div></div>
</section>`;
}
