// Reports in a real browser (Debian's headless Chromium via playwright-core). A report from a real short `rig run`
// and a synthetic invalid run each open from file:// with no console error and no request but the file itself, show
// every section, and draw every chart (each canvas has painted pixels, the leadership SVG has bars); on the invalid
// run an anomaly's op link scrolls the ops table to the op, highlights it there and in the timeline, and shows it in
// the detail panel. The store index opens the same way and lists the runs; so does one index of two stores (a sharded
// night's), whose links open each store's own report.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIndex, writeMergedIndex } from '../index.ts';
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

/**
 * In-page: for each chart, how many pixels its canvas has painted (alpha > 0), or -1 when the chart has no canvas
 * because it has no data and says so (e.g. the failure-rate chart of a run where nothing failed). A string, as Node's
 * types have no DOM.
 */
const PAINTED = `(ids) => ids.map((id) => {
  const c = document.getElementById(id);
  if (!c) return [id, document.querySelector('#fig-' + id.replace('chart-', '') + ' .empty') ? -1 : -2];
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

/** `everyChart`: the run has data for every chart, so none may be replaced by a note. */
async function expectWholeReport(opened: OpenedReport, everyChart: boolean): Promise<void> {
  const { page } = opened;
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.requests).toEqual([]);
  for (const id of SECTIONS) expect(await page.locator(`#${id}`).count(), id).toBe(1);
  const painted = new Map((await page.evaluate(`(${PAINTED})(${JSON.stringify(CHARTS)})`)) as [string, number][]);
  // A chart without data shows a note instead; the latency chart and the timeline always have data here.
  for (const [id, n] of painted) expect(n > 1000 || (n === -1 && !everyChart), `${id}: ${n} painted pixels`).toBe(true);
  expect(painted.get('chart-latency')).toBeGreaterThan(1000);
  expect(painted.get('timeline-canvas')).toBeGreaterThan(1000);
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
    await expectWholeReport(opened, false);
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
    await expectWholeReport(opened, true);
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

  it('store/index.html lists the runs newest first with their verdicts and draws the trends', async () => {
    const own = join(store, 'index-store');
    writeSyntheticRun(join(own, 'synthetic-mixed', '2026-01-02T00-00-00-000Z'), { invalid: true, ops: 300 });
    writeSyntheticRun(join(own, 'synthetic-mixed', '2026-01-03T00-00-00-000Z'), { ops: 300 });
    writeSyntheticRun(join(own, 'synthetic-2pc', '2026-01-01T00-00-00-000Z'), { ops: 300, unchecked: true });
    const opened = await openReport(browser, await writeIndex(own));
    expect(opened.consoleErrors).toEqual([]);
    expect(opened.requests).toEqual([]);
    const { page } = opened;
    expect(await page.locator('table.runs tbody tr').count()).toBe(3);
    expect(await page.locator('table.runs tr.verdict-invalid').count()).toBe(1);
    expect(await page.locator('table.runs tr.verdict-unchecked').count()).toBe(1);
    expect(await page.locator('#trends svg circle').count()).toBe(9);
    const names = await page.locator('table.runs tbody td:nth-child(2)').allTextContents();
    expect(names).toEqual([
      'synthetic-mixed/2026-01-03T00-00-00-000Z',
      'synthetic-mixed/2026-01-02T00-00-00-000Z',
      'synthetic-2pc/2026-01-01T00-00-00-000Z',
    ]);
    await page.close();
  });
  it('one index of two stores lists the runs of both, same-named ones twice, each linking to its own report', async () => {
    const name = join('sessions-2pc', '2026-01-04T00-00-00-000Z');
    const stores = ['shard-1', 'shard-2'].map((s) => join(store, 'merged', s));
    for (const [i, s] of stores.entries())
      await writeReport(writeSyntheticRun(join(s, name), { ops: 200, seed: i + 1 }).dir);
    const opened = await openReport(browser, await writeMergedIndex(stores, join(store, 'merged')));
    expect(opened.consoleErrors).toEqual([]);
    expect(opened.requests).toEqual([]);
    const { page } = opened;
    expect(await page.locator('table.runs tbody tr').count()).toBe(2);
    expect(await page.locator('table.runs tbody td.store').allTextContents()).toEqual(expect.arrayContaining(stores));
    const links = await page
      .locator('table.runs tbody a')
      .evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
    expect(new Set(links).size).toBe(2);
    for (const link of links) {
      const report = await page.context().newPage();
      await report.goto(link);
      await report.waitForFunction('window.__reportReady === true');
      expect(await report.title()).toContain('sessions-2pc/2026-01-04T00-00-00-000Z');
      await report.close();
    }
    await page.close();
  });
});
