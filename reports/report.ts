// A run's report.html: the static sections rendered here, the data embedded once, the page's script inlined.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundle } from './bundle.ts';
import { asset, html, page } from './html.ts';
import { type ReportModel, reportModel } from './model.ts';
import { REPORT_FILE, readRun } from './run.ts';
import { banner, checkersSection, configSection, nav, VERDICT_TEXT } from './sections.ts';
import { chartSections, faultsSection, leadershipSection, opsSection, percentileSections } from './sections-data.ts';
import { SUMMARY_FILE, summarize } from './summary.ts';

const CLIENT = new URL('./client/', import.meta.url);

/** The page for a model (pure, for tests that build a model themselves). */
export function renderReport(m: ReportModel): string {
  const body = html`${banner(m)}${nav()}<main>
${checkersSection(m)}
${chartSections(m)}
${faultsSection(m)}
${percentileSections(m)}
${leadershipSection(m)}
${opsSection(m)}
${configSection(m)}
</main>`;
  // The page needs only what it draws from; the tables and sections above are already HTML.
  const data = {
    meta: m.meta,
    verdict: m.verdict,
    checkers: m.checkers.map((c) => ({ ...c, anomalies: c.anomalies.map(({ details: _, ...a }) => a) })),
    counts: m.counts,
    ops: m.ops,
    nemesis: m.nemesis,
    faults: m.faults,
    buckets: m.buckets,
    details: m.details,
  };
  return page({
    title: `${VERDICT_TEXT[String(m.verdict)]}: ${m.meta.name}`,
    body,
    data,
    css: asset('./client/report.css'),
    script: bundle(CLIENT, 'main'),
  });
}

/** Writes report.html (and the index's summary.json) into the run directory; returns the report's path. */
export async function writeReport(runDir: string): Promise<string> {
  const run = readRun(runDir);
  const model = reportModel(run);
  const path = join(runDir, REPORT_FILE);
  writeFileSync(path, renderReport(model));
  writeFileSync(join(runDir, SUMMARY_FILE), `${JSON.stringify(summarize(model), null, 2)}\n`);
  return path;
}
