// The report's static sections, rendered in Node: the verdict banner, one section per checker with its anomalies,
// and the configuration. They are plain HTML, readable even before (or without) the script; every op an anomaly
// cites is a link to #op-<index>, which the page's script resolves in the timeline and the ops table.
import { fmtDuration, html, type Raw } from './html.ts';
import type { CheckerSection, ReportModel, Verdict } from './model.ts';

export const VERDICT_TEXT: Record<string, string> = {
  true: 'valid',
  false: 'INVALID',
  unknown: 'unknown',
  unchecked: 'unchecked',
};

export function verdictClass(v: Verdict): string {
  return `verdict-${v === true ? 'valid' : v === false ? 'invalid' : String(v)}`;
}

export function opLink(index: number): Raw {
  return html`<a class="op-link" href="#op-${index}">${index}</a>`;
}

export function banner(m: ReportModel): Raw {
  const { meta, counts } = m;
  const chips = m.checkers.map(
    (c) =>
      html`<a class="chip ${verdictClass(c.valid)}" href="#checker-${c.name}">${c.name}: ${VERDICT_TEXT[String(c.valid)]}</a>`,
  );
  const facts: [string, string][] = [
    ['mode', meta.mode.split(',')[0] ?? '—'],
    ['workload', meta.workload || '—'],
    ['protocol', meta.protocol || '—'],
    ['nemeses', meta.nemeses.join(', ') || 'none recorded'],
    ['duration', fmtDuration(meta.durationMs)],
    ['seed', meta.seed || '—'],
    [
      'ops',
      `${counts.ok} ok · ${counts.fail} fail · ${counts.info} info${counts.open ? ` · ${counts.open} open` : ''}`,
    ],
  ];
  return html`<header id="banner" class="banner ${verdictClass(m.verdict)}">
  <div class="verdict">${VERDICT_TEXT[String(m.verdict)]}</div>
  <div class="run">
    <h1>${meta.name}</h1>
    <dl class="facts">${facts.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>
    <div class="chips">${chips}</div>
  </div>
</header>`;
}

const NAV: [string, string][] = [
  ['checkers', 'Checkers'],
  ['latency', 'Latency'],
  ['quantiles', 'Quantiles'],
  ['throughput', 'Throughput'],
  ['faults', 'Faults'],
  ['percentiles', 'Percentiles'],
  ['queue', 'Queue delay'],
  ['leadership', 'Leadership'],
  ['ops', 'Ops'],
  ['config', 'Configuration'],
];

export function nav(): Raw {
  return html`<nav class="toc">${NAV.map(([id, label]) => html`<a href="#${id}">${label}</a>`)}</nav>`;
}

function anomalyItem(a: CheckerSection['anomalies'][number]): Raw {
  const ops = a.ops.length === 0 ? html`<span class="muted">no ops (server-side evidence)</span>` : a.ops.map(opLink);
  return html`<li class="anomaly">
  <div><span class="type">${a.type}</span> <span class="key">${a.key}</span> <span class="ops">ops ${ops}</span></div>
  <div class="explanation">${a.explanation}</div>
  ${a.details === undefined ? '' : html`<details><summary>details</summary><pre>${a.details}</pre></details>`}
</li>`;
}

function checkerSection(c: CheckerSection): Raw {
  const counts = Object.entries(c.counts).filter(([, n]) => n > 0);
  const shown =
    c.anomalies.length < c.total ? html`<p class="muted">Listing ${c.anomalies.length} of ${c.total}.</p>` : '';
  let body: Raw;
  if (c.valid === 'unknown') body = html`<p class="error">Unknown: ${c.error ?? 'no reason given'}</p>`;
  else if (c.total === 0 && c.anomalies.length === 0) body = html`<p class="muted">No anomalies.</p>`;
  else body = html``;
  return html`<article class="checker" id="checker-${c.name}">
  <h3><span class="badge ${verdictClass(c.valid)}">${VERDICT_TEXT[String(c.valid)]}</span> ${c.name}</h3>
  ${c.examined === '' ? '' : html`<p class="examined">Examined ${c.examined}.</p>`}
  ${body}
  ${counts.length === 0 ? '' : html`<p class="counts">${counts.map(([t, n]) => html`<span>${t} <b>${n}</b></span>`)}</p>`}
  ${shown}
  ${c.anomalies.length === 0 ? '' : html`<ol class="anomalies">${c.anomalies.map(anomalyItem)}</ol>`}
  ${c.figures.length === 0 ? '' : html`<details class="figures"><summary>figures</summary><dl class="facts">${c.figures.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl></details>`}
</article>`;
}

export function checkersSection(m: ReportModel): Raw {
  const body =
    m.checkers.length === 0
      ? html`<p class="empty">This run has not been checked: there is no results.json. <code>rig check ${m.meta.dir}</code> writes it.</p>`
      : m.checkers.map(checkerSection);
  return html`<section id="checkers"><h2>Checkers</h2>${body}</section>`;
}

export function configSection(m: ReportModel): Raw {
  const { meta } = m;
  const observed = Object.entries(m.observationCounts);
  return html`<section id="config">
  <h2>Configuration</h2>
  <dl class="facts wide">
    <div><dt>mode</dt><dd id="mode">${meta.mode}</dd></div>
    <div><dt>seed</dt><dd id="seed">${meta.seed || '— (not recorded)'}</dd></div>
    <div><dt>reproduce</dt><dd><code id="repro">${meta.command}</code></dd></div>
    <div><dt>run directory</dt><dd><code>${meta.dir}</code></dd></div>
    <div><dt>started</dt><dd>${meta.startedAt || '—'}</dd></div>
    <div><dt>history</dt><dd>${meta.historyLength} ops over ${fmtDuration(meta.durationMs)}</dd></div>
    <div><dt>observations</dt><dd>${observed.length === 0 ? 'none' : observed.map(([k, n]) => `${k} ${n}`).join(' · ')}</dd></div>
    <div><dt>report written</dt><dd>${meta.generatedAt}</dd></div>
  </dl>
  ${
    m.config === null
      ? html`<p class="empty">No config.json in the run directory.</p>`
      : html`<details open><summary>config.json</summary><pre class="config">${JSON.stringify(m.config, null, 2)}</pre></details>`
  }
  ${m.warnings.length === 0 ? '' : html`<h3>Warnings</h3><ul class="warnings">${m.warnings.map((w) => html`<li>${w}</li>`)}</ul>`}
</section>`;
}
