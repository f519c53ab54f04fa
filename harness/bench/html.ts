// bench.html: one self-contained page (no scripts, no network) with the two curves that matter, as inline SVG:
// throughput against concurrency (system and floor), and p99 latency against throughput; then every figure.
import type { LevelFigures, ProtocolFigures, SecondFigures } from './figures.ts';
import { cpuTable, failureText, formatTable, summaryLines, tableHeader, tableRows } from './figures.ts';
import type { Machine, Versions } from './machine.ts';
import type { ProcessProfile } from './profile.ts';

export interface BenchDocument {
  startedAt: string;
  finishedAt?: string;
  /** Set when a signal stopped the run: the figures are partial. */
  interrupted?: boolean;
  command: string;
  options: Record<string, unknown>;
  environment: string;
  machine: Machine;
  versions: Versions;
  protocols: ProtocolFigures[];
  profile?: { dir: string; processes: ProcessProfile[] };
}

interface Series {
  name: string;
  color: string;
  dashed: boolean;
  points: Array<[number, number]>;
}

interface Axis {
  label: string;
  log: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const colors: Record<string, string> = { '2pc': '#1f6feb', '3pc': '#b5470b' };
const W = 700;
/** The plot ends here; the legend sits to its right. */
const plotRight = 550;
const H = 320;
const pad = { left: 64, top: 16, bottom: 44 };

/** Maps [min, max] onto [a, b], logarithmically when asked; a degenerate range maps to the middle. */
function scale(min: number, max: number, a: number, b: number, log: boolean) {
  const f = log ? Math.log10 : (v: number) => v;
  const lo = f(min);
  const hi = f(max);
  return (v: number) => (hi === lo ? (a + b) / 2 : a + ((f(v) - lo) / (hi - lo)) * (b - a));
}

function ticks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
      for (const m of [1, 2, 5]) if (m * 10 ** e >= min && m * 10 ** e <= max) out.push(m * 10 ** e);
    }
    return out.length ? out : [min, max];
  }
  const step = 10 ** Math.floor(Math.log10(Math.max(max - min, 1e-9) / 4));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (max - min) / s <= 6) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(min / nice) * nice; v <= max + 1e-9; v += nice) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

export function lineChart(title: string, x: Axis, y: Axis, series: readonly Series[], xTicks?: number[]): string {
  const pts = series.flatMap((s) => s.points).filter(([a, b]) => (!x.log || a > 0) && (!y.log || b > 0));
  if (pts.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p>no data</p></figure>`;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = y.log ? [Math.min(...ys), Math.max(...ys)] : [0, Math.max(...ys) * 1.1];
  const sx = scale(x0, x1, pad.left, plotRight, x.log);
  const sy = scale(y0, y1, H - pad.bottom, pad.top, y.log);
  const grid = [
    ...(xTicks ?? ticks(x0, x1, x.log)).map(
      (t) =>
        `<line x1="${sx(t)}" x2="${sx(t)}" y1="${pad.top}" y2="${H - pad.bottom}" class="g"/>` +
        `<text x="${sx(t)}" y="${H - pad.bottom + 16}" text-anchor="middle">${t}</text>`,
    ),
    ...ticks(y0, y1, y.log).map(
      (t) =>
        `<line x1="${pad.left}" x2="${plotRight}" y1="${sy(t)}" y2="${sy(t)}" class="g"/>` +
        `<text x="${pad.left - 6}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`,
    ),
  ];
  const lines = series.map((s, i) => {
    const d = s.points.map(([a, b], j) => `${j ? 'L' : 'M'}${sx(a).toFixed(1)},${sy(b).toFixed(1)}`).join(' ');
    const dots = s.points.map(([a, b]) => `<circle cx="${sx(a).toFixed(1)}" cy="${sy(b).toFixed(1)}" r="3"/>`);
    const legendY = pad.top + 14 * i + 8;
    return (
      `<g stroke="${s.color}" fill="${s.color}"><path d="${d}" fill="none" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>${dots.join('')}` +
      `<line x1="${plotRight + 12}" x2="${plotRight + 36}" y1="${legendY}" y2="${legendY}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/></g>` +
      `<text x="${plotRight + 42}" y="${legendY + 4}">${esc(s.name)}</text>`
    );
  });
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">
<g class="axes">${grid.join('')}</g>${lines.join('')}
<text x="${(pad.left + plotRight) / 2}" y="${H - 8}" text-anchor="middle">${esc(x.label)}</text>
<text transform="translate(14 ${(H - pad.bottom + pad.top) / 2}) rotate(-90)" text-anchor="middle">${esc(y.label)}</text>
</svg></figure>`;
}

function curves(protocols: readonly ProtocolFigures[]): string {
  const measured = protocols.filter((p) => p.available && p.levels.length > 0);
  const side = (p: ProtocolFigures, which: 'system' | 'floor', pick: (l: LevelFigures) => [number, number]) => ({
    name: `${p.protocol} ${which}`,
    color: colors[p.protocol] ?? '#444',
    dashed: which === 'floor',
    points: p.levels.map((l) => pick(l[which])),
  });
  const both = (pick: (l: LevelFigures) => [number, number]) =>
    measured.flatMap((p) => [side(p, 'system', pick), side(p, 'floor', pick)]);
  const concurrencies = [...new Set(measured.flatMap((p) => p.levels.map((l) => l.concurrency)))];
  return [
    lineChart(
      'Throughput against concurrency',
      { label: 'concurrency (connections / floor workers)', log: true },
      { label: 'transactions per second', log: false },
      both((l) => [l.concurrency, l.throughputPerS]),
      concurrencies,
    ),
    lineChart(
      'p99 latency against throughput',
      { label: 'transactions per second', log: false },
      { label: 'p99 latency, ms (log)', log: true },
      both((l) => [l.throughputPerS, l.latency.p99Ms]),
    ),
  ].join('\n');
}

/** The half-load level second by second: a stall shows as the seconds whose requests it held up. */
function halfLoadTimelines(protocols: readonly ProtocolFigures[]): string {
  return protocols
    .filter((p) => p.halfLoad?.timeline?.length)
    .map((p) => {
      const timeline = p.halfLoad!.timeline!;
      const color = colors[p.protocol] ?? '#444';
      const series = (name: string, c: string, dashed: boolean, pick: (s: SecondFigures) => number): Series => ({
        name,
        color: c,
        dashed,
        points: timeline.filter((s) => s.completed > 0).map((s) => [s.s, pick(s)]),
      });
      const title = `${p.protocol} half load (${p.halfLoad!.offeredRatePerS} req/s)`;
      // Whole seconds on the axis, ten labels at most.
      const step = Math.ceil(timeline.length / 10);
      const seconds = timeline.filter((s) => s.s % step === 0).map((s) => s.s);
      const latency = lineChart(
        `${title}, latency of the requests due in each second`,
        { label: 'second of the level', log: false },
        { label: 'latency, ms (log)', log: true },
        [
          series('p50', '#888', false, (s) => s.p50Ms),
          series('p99', color, false, (s) => s.p99Ms),
          series('max', color, true, (s) => s.maxMs),
        ],
        seconds,
      );
      const busy = timeline.filter((s) => s.busyPct !== undefined);
      if (busy.length === 0) return latency;
      const cpu = lineChart(
        `${title}, share of all CPUs busy in each second`,
        { label: 'second of the level', log: false },
        { label: 'busy, %', log: false },
        [{ name: 'busy', color, dashed: false, points: busy.map((s) => [s.s, s.busyPct!]) }],
        seconds,
      );
      return latency + cpu;
    })
    .join('\n');
}

function profileSection(doc: BenchDocument): string {
  if (!doc.profile) return '';
  const blocks = doc.profile.processes.map((p) => {
    const rows = (list: typeof p.functions) => list.map((f) => [`${f.pct}%`, `${f.selfMs} ms`, f.name]);
    return `<h3>${esc(p.process)}: busy ${p.busyMs} ms of ${p.sampledMs} ms sampled</h3>
<p>${p.areas.map((a) => `${esc(a.name)} ${a.pct}%`).join(' · ')}</p>
<pre>${esc(formatTable(['self', 'ms', 'function'], rows(p.functions)))}</pre>
<pre>${esc(formatTable(['charged', 'ms', 'nearest function of ours on the stack'], rows(p.ours)))}</pre>`;
  });
  return `<h2>CPU profile (self time)</h2><p>Profiles in ${esc(doc.profile.dir)}</p>${blocks.join('\n')}`;
}

function cpuSection(doc: BenchDocument): string {
  const table = cpuTable(doc.protocols);
  if (!table) return '';
  return `<h2>CPU per transaction</h2><p>CPU milliseconds per completed transaction by process, from /proc (kernel
accounting); busy is the share of all CPUs in use during the level. postgres counts every backend.</p>
<pre>${esc(table)}</pre>`;
}

export function renderBenchHtml(doc: BenchDocument): string {
  const halfLoads = doc.protocols
    .filter((p) => p.halfLoad)
    .map((p) => `${p.protocol}: ${failureText(p.halfLoad!.failures, p.halfLoad!.errors, p.halfLoad!.timeouts)}`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>session-rig bench ${esc(doc.startedAt)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
pre{background:#f6f8fa;padding:8px;overflow-x:auto;font-size:12px}
figure{display:inline-block;margin:0 24px 24px 0}figcaption{font-weight:600;margin-bottom:4px}
svg text{font-size:11px;fill:#333;stroke:none}.g{stroke:#e5e5e5}
</style></head><body>
<h1>session-rig bench</h1>
<p>${esc(doc.startedAt)} to ${esc(doc.finishedAt ?? '(unfinished)')} · <code>${esc(doc.command)}</code></p>
<pre>${esc(summaryLines(doc.protocols).join('\n'))}</pre>
${curves(doc.protocols)}
${halfLoadTimelines(doc.protocols)}
<h2>Every level</h2>
<p>System: autocannon closed loop, one subscriber per request; latency of 201 answers, recorded per response.
Floor: the same durable statements per transaction, straight to PostgreSQL, same concurrency.
Half-load failures: ${esc(halfLoads.join('; ') || '-')}</p>
<pre>${esc(formatTable(tableHeader, tableRows(doc.protocols)))}</pre>
${cpuSection(doc)}
<h2>Machine and versions</h2>
<pre>${esc(JSON.stringify({ environment: doc.environment, machine: doc.machine, versions: doc.versions, options: doc.options }, null, 2))}</pre>
${profileSection(doc)}
</body></html>
`;
}
