// How fast a big report opens: generates a synthetic run of 100,000 client ops (200,000 history lines, with faults,
// leadership changes and anomalies), writes its report, opens it in headless Chromium and prints the time from
// navigation to the page's first render (window.__reportReady), with the file's size. A benchmark: it asserts nothing.
//
//   npx tsx bench/report.ts [--ops N] [--runs N]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { browserMissing, openBrowser, openReport } from '../reports/__tests__/browser.ts';
import { writeSyntheticRun } from '../reports/__tests__/fixtures.ts';
import { writeReport } from '../reports/index.ts';

const { values } = parseArgs({
  options: { ops: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' } },
});
const ops = Number(values.ops);
const runs = Number(values.runs);
const missing = browserMissing();
if (missing) {
  console.error(`bench/report: ${missing}`);
  process.exit(2);
}

const root = mkdtempSync(join(tmpdir(), 'bench-report-'));
try {
  const dir = join(root, 'sessions-mixed', '2026-01-01T00-00-00-000Z');
  let t = performance.now();
  const run = writeSyntheticRun(dir, {
    ops,
    processes: Math.max(10, Math.round(ops / 500)),
    durationS: 300,
    invalid: true,
  });
  const genMs = performance.now() - t;
  t = performance.now();
  const file = await writeReport(dir);
  const writeMs = performance.now() - t;
  const historyMb = statSync(join(dir, 'history.jsonl')).size / 2 ** 20;
  const reportMb = statSync(file).size / 2 ** 20;
  console.log(
    `run: ${ops} client ops, ${run.historyLength} history lines (${historyMb.toFixed(1)} MiB), generated in ${genMs.toFixed(0)} ms`,
  );
  console.log(`report.html: ${reportMb.toFixed(2)} MiB, written in ${writeMs.toFixed(0)} ms`);
  const browser = await openBrowser();
  try {
    for (let i = 0; i < runs; i++) {
      const opened = await openReport(browser, file, 60_000);
      const drawn = await opened.page.getAttribute('#timeline-canvas', 'data-drawn');
      const problems = [...opened.consoleErrors, ...opened.requests];
      console.log(
        `open ${i + 1}: ready in ${opened.loadMs.toFixed(0)} ms (timeline drew ${drawn} ops)${problems.length ? `; problems: ${problems.join('; ')}` : ''}`,
      );
      await opened.page.close();
    }
  } finally {
    await browser.close();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
