// store/index.html: every run under the store, newest first, coloured by verdict, with trends across runs of p99
// latency, abort rate, throughput and the worst unavailability of a leader loss. For nightly use, so a run that cannot be read is listed as unreadable rather
// than stopping the index. Everything is rendered here (the trends are small SVGs): the page needs no script.
// One index can also cover several stores (the shards of a night, earlier nights): written to a directory of its own,
// it links to each run where it is, by a path relative to that directory, and names the store of each run.
import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HISTORY_FILE } from '../format/run-dir.ts';
import { asset, fmtDuration, fmtMs, html, page, type Raw } from './html.ts';
import { runName } from './meta.ts';
import { REPORT_FILE, ReportInputError } from './run.ts';
import { VERDICT_TEXT } from './sections.ts';
import { type RunSummary, runSummary } from './summary.ts';

export const INDEX_FILE = 'index.html';
/** store/<test>/<timestamp>/ is two levels down; one more allows a grouping directory. */
const DEPTH_MAX = 3;

interface Row {
  summary: RunSummary | undefined;
  dir: string;
  /** The store the run was found in, as the user named it. */
  store: string;
  error?: string;
  /** For ordering when the run's start time is unknown. */
  mtimeMs: number;
}

/** Run directories under the store; symlinks (store/latest) are skipped, so no run is listed twice. */
export function findRuns(storeDir: string, depth = 0): string[] {
  if (existsSync(join(storeDir, HISTORY_FILE))) return [storeDir];
  if (depth >= DEPTH_MAX) return [];
  const out: string[] = [];
  for (const name of readdirSync(storeDir).sort()) {
    const path = join(storeDir, name);
    const st = lstatSync(path);
    if (st.isDirectory() && !st.isSymbolicLink()) out.push(...findRuns(path, depth + 1));
  }
  return out;
}

function row(dir: string, store: string): Row {
  const mtimeMs = statSync(dir).mtimeMs;
  try {
    return { summary: runSummary(dir), dir, store, mtimeMs };
  } catch (err) {
    if (!(err instanceof ReportInputError)) throw err;
    return { summary: undefined, dir, store, error: err.message, mtimeMs };
  }
}

const when = (r: Row) => Date.parse(r.summary?.startedAt ?? '') || r.mtimeMs;
const verdictClass = (v: string) => `verdict-${v === 'true' ? 'valid' : v === 'false' ? 'invalid' : v}`;
const VERDICT_COLOR: Record<string, string> = { true: '#2e9d57', false: '#d1453b', unknown: '#e0a100' };

/** `root`: the real path of the directory the index is written to; the links are relative to it. */
function runRow(root: string, r: Row, showStore: boolean): Raw {
  const report = join(r.dir, REPORT_FILE);
  const href = relative(root, existsSync(report) ? report : r.dir);
  const store = showStore ? html`<td class="store">${r.store}</td>` : '';
  const s = r.summary;
  if (!s) {
    return html`<tr class="verdict-unreadable"><td></td>${store}<td><a href="${href}">${runName(r.dir)}</a></td><td>unreadable</td><td colspan="11">${r.error}</td></tr>`;
  }
  return html`<tr class="${verdictClass(s.verdict)}">
  <td class="when">${(s.startedAt || new Date(r.mtimeMs).toISOString()).replace('T', ' ').slice(0, 19)}</td>${store}
  <td><a href="${href}">${s.name}</a></td>
  <td class="v">${VERDICT_TEXT[s.verdict] ?? s.verdict}${s.anomalies > 0 ? ` (${s.anomalies})` : ''}</td>
  <td>${s.workload || '—'}</td><td>${s.protocol || '—'}</td><td>${s.nemeses.join(', ') || 'none'}</td>
  <td>${fmtDuration(s.durationMs)}</td><td class="n">${s.ok}</td><td class="n">${s.fail}</td><td class="n">${s.info}</td>
  <td class="n">${fmtMs(s.p99Ms ?? Number.NaN)}</td><td class="n">${(s.abortRate * 100).toFixed(1)}%</td><td class="n">${s.throughput.toFixed(1)}/s</td>
  <td class="n">${s.leaderLossGapMs === null ? '—' : fmtMs(s.leaderLossGapMs)}${s.leaderLossOverBound > 0 ? html` <strong>${s.leaderLossOverBound} over</strong>` : ''}</td>
</tr>`;
}

/** One metric across runs, oldest to newest: a line with a dot per run in its verdict's colour. */
function trend(
  title: string,
  runs: RunSummary[],
  value: (s: RunSummary) => number,
  format: (v: number) => string,
): Raw {
  const W = 800;
  const H = 150;
  const pad = { l: 64, r: 10, t: 10, b: 20 };
  const vs = runs.map(value);
  const finite = vs.filter(Number.isFinite);
  if (finite.length === 0)
    return html`<figure class="trend"><figcaption>${title}</figcaption><p class="empty">No values yet.</p></figure>`;
  const max = Math.max(...finite) || 1;
  const x = (i: number) =>
    pad.l + (runs.length === 1 ? (W - pad.l - pad.r) / 2 : (i / (runs.length - 1)) * (W - pad.l - pad.r));
  const y = (v: number) => pad.t + (1 - v / max) * (H - pad.t - pad.b);
  const points = vs.flatMap((v, i) => (Number.isFinite(v) ? [`${x(i).toFixed(1)},${y(v).toFixed(1)}`] : []));
  const dots = runs.map((s, i) =>
    Number.isFinite(vs[i]!)
      ? html`<circle cx="${x(i).toFixed(1)}" cy="${y(vs[i]!).toFixed(1)}" r="3.5" fill="${VERDICT_COLOR[s.verdict] ?? '#7a7a7a'}"><title>${s.name}: ${format(vs[i]!)}</title></circle>`
      : '',
  );
  const grid = [0, 0.5, 1].map(
    (f) =>
      html`<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(f * max)}" y2="${y(f * max)}" class="grid"/><text x="${pad.l - 6}" y="${y(f * max) + 4}" text-anchor="end">${format(f * max)}</text>`,
  );
  return html`<figure class="trend"><figcaption>${title}</figcaption><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${title}">${grid}<polyline points="${points.join(' ')}" class="line"/>${dots}<text x="${pad.l}" y="${H - 4}">oldest</text><text x="${W - pad.r}" y="${H - 4}" text-anchor="end">newest</text></svg></figure>`;
}

/**
 * `root` is the real path of the directory the index goes to (the links are relative to it); `shown` names the stores
 * as the user did. With runs from more than one store, each row says which.
 */
export function renderIndex(root: string, shown: string, rows: Row[], now = new Date()): string {
  const showStore = new Set(rows.map((r) => r.store)).size > 1;
  const sorted = [...rows].sort((a, b) => when(b) - when(a));
  const runs = sorted.flatMap((r) => (r.summary ? [r.summary] : [])).reverse();
  const counts = {
    valid: runs.filter((s) => s.verdict === 'true').length,
    invalid: runs.filter((s) => s.verdict === 'false').length,
  };
  const body = html`<header class="banner verdict-${counts.invalid > 0 ? 'invalid' : 'valid'}"><div class="run"><h1>session-rig runs</h1>
  <p>${rows.length} ${rows.length === 1 ? 'run' : 'runs'} in ${shown}: ${counts.valid} valid, ${counts.invalid} invalid, ${rows.length - counts.valid - counts.invalid} other. Written ${now.toISOString()}.</p></div></header>
<main>
<section id="trends"><h2>Trends</h2>
${trend('p99 latency', runs, (s) => s.p99Ms ?? Number.NaN, fmtMs)}
${trend(
  'abort rate (fails / completions)',
  runs,
  (s) => s.abortRate,
  (v) => `${(v * 100).toFixed(1)}%`,
)}
${trend(
  'throughput (ok per second)',
  runs,
  (s) => s.throughput,
  (v) => `${v.toFixed(1)}/s`,
)}
${trend('leader loss: longest gap without an ok', runs, (s) => s.leaderLossGapMs ?? Number.NaN, fmtMs)}
</section>
<section id="runs"><h2>Runs, newest first</h2>
${
  rows.length === 0
    ? html`<p class="empty">No runs under ${shown} yet: <code>rig run</code> writes them.</p>`
    : html`<table class="data runs"><thead><tr><th>started</th>${showStore ? html`<th>store</th>` : ''}<th>run</th><th>verdict</th><th>workload</th><th>protocol</th><th>nemeses</th><th>duration</th><th>ok</th><th>fail</th><th>info</th><th>p99</th><th>abort rate</th><th>throughput</th><th title="the longest gap without an ok in a fault window that lost the leader">leader loss</th></tr></thead><tbody>${sorted.map((r) => runRow(root, r, showStore))}</tbody></table>`
}
</section>
</main>`;
  return page({
    title: `session-rig runs (${rows.length})`,
    body,
    data: null,
    css: asset('./client/report.css') + asset('./client/index.css'),
    script: 'window.__reportReady = true;',
  });
}

/** Writes store/index.html listing every run under `storeDir`; returns its path. */
export async function writeIndex(storeDir: string): Promise<string> {
  return writeMergedIndex([storeDir], storeDir);
}

/**
 * Writes `outDir`/index.html listing every run under every store (a run reachable through two of them once), with
 * trends across all of them; returns its path. The runs stay where they are: the links are relative paths from
 * `outDir`, so they work as long as the stores and `outDir` move together (the nightly workflow downloads the
 * shards' stores into the directory it writes the index to, and uploads that directory whole). Copying the runs
 * instead would double a night's disk and upload for nothing.
 */
export async function writeMergedIndex(stores: string[], outDir: string): Promise<string> {
  if (stores.length === 0) throw new ReportInputError(outDir, 'no store to index');
  for (const store of stores) {
    if (!existsSync(store) || !statSync(store).isDirectory()) throw new ReportInputError(store, 'no such directory');
  }
  mkdirSync(outDir, { recursive: true });
  const seen = new Set<string>();
  const rows: Row[] = [];
  for (const store of stores) {
    for (const dir of findRuns(realpathSync(store))) {
      if (seen.has(dir)) continue;
      seen.add(dir);
      rows.push(row(dir, store));
    }
  }
  const path = join(outDir, INDEX_FILE);
  writeFileSync(path, renderIndex(realpathSync(outDir), stores.join(', '), rows));
  return path;
}
