// The report as a file, without a browser: writeReport turns a synthetic run directory into one HTML file with every
// section, nothing that could load from the network, and data the page can decode; bad input is an error naming the
// file; the page's scripts type-check (tsc -p reports/client) and bundle.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { bundle } from '../bundle.ts';
import { embedJson } from '../html.ts';
import { writeReport } from '../report.ts';
import { ReportInputError, readRun } from '../run.ts';
import { writeSyntheticRun } from './fixtures.ts';

// Building reports, running tsc and loading the whole CLI take seconds on a busy machine: more than the default 5 s.
vi.setConfig({ testTimeout: 60_000 });

const root = mkdtempSync(join(tmpdir(), 'report-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

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

describe('writeReport', () => {
  it('writes one self-contained report.html with every section and the anomaly links', async () => {
    const run = writeSyntheticRun(join(root, 'sessions-mixed', '2026-01-01T00-00-00-000Z'), {
      invalid: true,
      ops: 500,
    });
    const path = await writeReport(run.dir);
    const text = readFileSync(path, 'utf8');
    for (const id of SECTIONS) expect(text).toContain(`id="${id}"`);
    for (const i of run.anomalyOps) expect(text).toContain(`href="#op-${i}"`);
    expect(text).toContain('Content-Security-Policy');
    // No external resource of any kind: no src/href to a URL, no @import, no url() in the CSS.
    expect(text).not.toMatch(/\s(?:src|href)=["']?(?:https?:)?\/\//i);
    expect(text).not.toMatch(/@import|url\(/i);
    expect(text).toContain('rig run --workload sessions');
    // Ops on sessions have their own latency row and their refusals a row of the failures table.
    expect(text).toMatch(/<td>modify-session<\/td><td>\d+<\/td>/);
    expect(text).toMatch(/<tr><td>modify-session<\/td><td>precondition_failed<\/td><td>\d+<\/td><\/tr>/);
    // A checker's stats are shown as figures under it.
    expect(text).toMatch(/<dt>deadlocks\.detector\.resolveMedianMs<\/dt><dd>182\.4<\/dd>/);
    expect(readFileSync(join(run.dir, 'summary.json'), 'utf8')).toContain('"verdict": "false"');
  });

  it('says so when a section has no data instead of failing', async () => {
    const dir = join(root, 'bare', 'run');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'history.jsonl'), '');
    const text = readFileSync(await writeReport(dir), 'utf8');
    expect(text).toContain('This run has not been checked');
    expect(text).toContain('No leader observations');
    expect(text).toContain('No nemesis ops in the history');
    expect(text).toContain('No completion reported a scheduler queue delay');
    expect(text).toContain('No config.json');
  });

  it('names the file for a missing directory, a directory without a history, and a bad history line', () => {
    expect(() => readRun(join(root, 'nope'))).toThrow(ReportInputError);
    expect(() => readRun(join(root, 'nope'))).toThrow(/nope: no such directory/);
    mkdirSync(join(root, 'empty'));
    expect(() => readRun(join(root, 'empty'))).toThrow(/empty: not a run directory: it holds no history.jsonl/);
    const dir = join(root, 'broken');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'history.jsonl'),
      '{"type":"invoke","process":0,"f":"write","value":null,"time":1}\nnot json\n',
    );
    expect(() => readRun(dir)).toThrow(/broken\/history.jsonl: line 2: not valid JSON/);
  });
});

describe('embedded data', () => {
  it('carries typed arrays as base64 and cannot close its script element', () => {
    const text = embedJson({
      a: new Float64Array([1.5, Number.NaN]),
      s: '</script><script>alert(1)</script>',
      n: Number.NaN,
    });
    expect(text).not.toContain('<');
    const parsed = JSON.parse(text) as { a: { $t: string; b64: string }; n: null };
    expect(parsed.a.$t).toBe('Float64Array');
    const back = new Float64Array(new Uint8Array(Buffer.from(parsed.a.b64, 'base64')).buffer);
    expect(back[0]).toBe(1.5);
    expect(Number.isNaN(back[1]!)).toBe(true);
    expect(parsed.n).toBeNull();
  });
});

describe('page scripts', () => {
  it('type-check against the DOM (tsc -p reports/client)', () => {
    const tsc = join(process.cwd(), 'node_modules', '.bin', 'tsc');
    expect(() => execFileSync(tsc, ['-p', 'reports/client'], { encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
  });

  it('bundle into one script with no import or export left', () => {
    const script = bundle(new URL('../client/', import.meta.url), 'main');
    expect(script).not.toMatch(/^\s*(import|export)\b/m);
    expect(script).toContain("__modules['main']");
    expect(() => new Function(script)).not.toThrow(SyntaxError);
  });
});

describe('rig report', () => {
  it('rebuilds a report and the index (exit 0), and exits 2 naming the file on bad input', async () => {
    const { main } = await import('../../harness/cli/main.ts');
    const errors: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation((m: unknown) => {
      errors.push(String(m));
    });
    try {
      const run = writeSyntheticRun(join(root, 'cli', 'sessions-2pc', '2026-01-01T00-00-00-000Z'), { ops: 200 });
      expect(await main(['report', run.dir])).toBe(0);
      expect(existsSync(join(run.dir, 'report.html'))).toBe(true);
      expect(await main(['report', '--index', '--store', join(root, 'cli')])).toBe(0);
      expect(existsSync(join(root, 'cli', 'index.html'))).toBe(true);
      expect(await main(['report', join(root, 'missing')])).toBe(2);
      writeFileSync(join(run.dir, 'history.jsonl'), '{"type":"ok","process":0,"f":"write","value":null,"time":1}\n');
      expect(await main(['report', run.dir])).toBe(2);
      expect(await main(['report'])).toBe(2);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
    expect(errors[0]).toMatch(/missing: no such directory/);
    expect(errors[1]).toMatch(/history.jsonl: line 1: ok on process 0 without an open invoke/);
    expect(errors[2]).toMatch(/give exactly one run directory, or --index/);
  });
});
