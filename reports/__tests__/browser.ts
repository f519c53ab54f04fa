// Opening reports in a real browser: Debian's headless Chromium driven by playwright-core (never a downloaded
// browser), with a fresh profile each time. Collects what a report must never produce: console errors, page errors
// and requests for anything but the file itself and data: URLs. Used by the browser tests and bench/report.ts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium)`;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function openBrowser(viewport = { width: 1400, height: 1000 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'rig-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface OpenedReport {
  page: Page;
  /** Milliseconds from navigation to the page's `window.__reportReady`. */
  loadMs: number;
  consoleErrors: string[];
  /** Requests other than the report file itself and data: URLs. */
  requests: string[];
}

/** Opens a report file and waits for its first render (`window.__reportReady`). */
export async function openReport(browser: Browser, file: string, timeoutMs = 30_000): Promise<OpenedReport> {
  const page = await browser.context.newPage();
  const url = pathToFileURL(file).href;
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url && !r.url().startsWith('data:')) requests.push(r.url());
  });
  const started = performance.now();
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as { __reportReady?: boolean }).__reportReady === true, undefined, {
    timeout: timeoutMs,
  });
  return { page, loadMs: performance.now() - started, consoleErrors, requests };
}
