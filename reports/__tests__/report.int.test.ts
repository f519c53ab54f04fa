// Reports in a real browser (Debian's headless Chromium via playwright-core). A report from a real short `rig run`
// and a synthetic invalid run each open from file:// with no console error and no request but the file itself, show
// every section, and draw every chart (each canvas has painted pixels, the leadership SVG has bars); on the invalid
// run an anomaly's op link scrolls the ops table to the op, highlights it there and in the timeline, and shows it in
// the detail panel. The store index opens the same way and lists the runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIndex } from '../index.ts';
import { writeReport } from '../report.ts';
import { type Browser, browserMissing, type OpenedReport, openBrowser, openReport } from './browser.ts';
import { writeSyntheticRun } from './fixtures.ts';

const missing = browserMissing();
if (missing) console.warn(`skipping the browser tests: ${missing}`);

const SECTIONS = [
  'banner',
  'checkers',
  'latency',
  'quantiles',
  'throughput',
  'faults',
  'percentiles',
  'queue',
  'leadership',
  'ops',
  'config',
];
const CHARTS = ['chart-latency', 'chart-quantiles', 'chart-throughput', 'chart-failrate', 'timeline-canvas'];

/** In-page: for each canvas id, how many pixels are painted (alpha > 0). A string, as Node's types have no DOM. */
const PAINTED = `(ids) => ids.map((id) => {
  const c = document.getElementById(id);
  if (!c) return [id, -1];
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
  return [id, n];
})`;

const store = mkdtempSync(join(tmpdir(), 'report-browser-'));
let browser: Browser;
beforeAll(async () => {
  if (!missing) browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
  rmSync(store, { recursive: true, force: true });
});

async function expectWholeReport(opened: OpenedReport): Promise<void> {
  const { page } = opened;
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.requests).toEqual([]);
  for (const id of SECTIONS) expect(await page.locator(`#${id}`).count(), id).toBe(1);
  const painted = (await page.evaluate(`(${PAINTED})(${JSON.stringify(CHARTS)})`)) as [string, number][];
  for (const [id, n] of painted) expect(n, `${id} painted pixels`).toBeGreaterThan(1000);
  expect(await page.locator('#leadership-svg g.term rect').count()).toBeGreaterThan(0);
}

describe.skipIf(missing !== undefined)('report.html in Chromium', () => {
  it('from a real short run: every section, every chart, no errors, no requests', async () => {
    const r = spawnSync(
      process.execPath,
      [
        'bin/rig.js',
        'run',
        '--nemesis',
        'partition',
        '--time-limit',
        '8',
        '--seed',
        '5',
        '--quiet',
        '5',
        '--store',
        store,
      ],
      { encoding: 'utf8', timeout: 240_000 },
    );
    const dir = /run directory: (\S+)/.exec(r.stdout)?.[1];
    expect(dir, r.stdout + r.stderr).toBeTruthy();
    const opened = await openReport(browser, await writeReport(dir!));
    await expectWholeReport(opened);
    expect(await opened.page.locator('#faults tbody tr').count()).toBeGreaterThan(0);
    await opened.page.close();
  });

  it('on an invalid run: an anomaly link scrolls to and highlights its op in the table, the timeline and the detail panel', async () => {
    const run = writeSyntheticRun(join(store, 'synthetic-mixed', '2026-01-02T00-00-00-000Z'), {
      invalid: true,
      ops: 4000,
      processes: 12,
    });
    const opened = await openReport(browser, await writeReport(run.dir));
    await expectWholeReport(opened);
    const { page } = opened;
    const target = run.anomalyOps[2]!;
    await page.locator(`#checker-atomicity a.op-link[href="#op-${target}"]`).first().click();
    await page.waitForFunction(`document.querySelector('#op-${target}.focused') !== null`);
    expect(await page.evaluate('location.hash')).toBe(`#op-${target}`);
    const row = page.locator(`#op-${target}`);
    await expect.poll(() => row.isVisible()).toBe(true);
    const box = (await row.boundingBox())!;
    const viewport = page.viewportSize()!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(viewport.height);
    expect(await page.locator('#op-detail h3').textContent()).toBe(`op ${target}`);
    expect(await page.locator('#op-detail').textContent()).toContain('atomicity: partial-commit');
    expect(await page.getAttribute('#timeline-canvas', 'data-focused')).toBe(String(target));
    expect(opened.consoleErrors).toEqual([]);
    await page.close();
  });

  it('store/index.html lists the runs with their verdicts and draws the trends', async () => {
    writeSyntheticRun(join(store, 'synthetic-mixed', '2026-01-03T00-00-00-000Z'), { ops: 500 });
    const opened = await openReport(browser, await writeIndex(store));
    expect(opened.consoleErrors).toEqual([]);
    expect(opened.requests).toEqual([]);
    const { page } = opened;
    expect(await page.locator('table.runs tbody tr').count()).toBe(3);
    expect(await page.locator('table.runs tr.verdict-invalid').count()).toBe(1);
    expect(await page.locator('#trends svg circle').count()).toBe(9);
    // Newest first: the synthetic run of 2026-01-03 precedes the one of 2026-01-02 (the real run is newer still).
    const names = await page.locator('table.runs tbody td:nth-child(2)').allTextContents();
    expect(names.indexOf('synthetic-mixed/2026-01-03T00-00-00-000Z')).toBeLessThan(
      names.indexOf('synthetic-mixed/2026-01-02T00-00-00-000Z'),
    );
    await page.close();
  });
});
