// Proves every entry point that reads a stored run refuses a history with a bad line in the middle: `rig check` and
// `rig report` (as a user runs them) and the end of `rig run` (its judge step, on the same directory) exit 2 and name
// the file and the line. Only a cut last line is tolerated, as a warning. Nothing is written from a bad history.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { writeSyntheticRun } from '../../../reports/__tests__/fixtures.ts';
import { judgeRun } from '../run.ts';

const store = mkdtempSync(join(tmpdir(), 'rig-bad-history-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

function rig(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/rig.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** A run directory whose history's line 3 is cut in half, with whole lines after it; no results yet. */
function brokenRun(name: string): string {
  const dir = join(store, 'sessions-mixed', name);
  writeSyntheticRun(dir, { ops: 200, unchecked: true });
  const lines = readFileSync(join(dir, 'history.jsonl'), 'utf8').split('\n');
  lines[2] = lines[2]!.slice(0, 20);
  writeFileSync(join(dir, 'history.jsonl'), lines.join('\n'));
  return dir;
}

describe('a history with a bad line in the middle', () => {
  it('rig check exits 2 naming the line, and writes no results', () => {
    const dir = brokenRun('check');
    const r = rig('check', dir);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain(`${join(dir, 'history.jsonl')}:3: not valid JSON`);
    expect(existsSync(join(dir, 'results.json'))).toBe(false);
  });

  it('rig report exits 2 naming the line, and writes no report', () => {
    const dir = brokenRun('report');
    const r = rig('report', dir);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/history\.jsonl.*line 3: not valid JSON/);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
  });

  it("rig run's judge step returns 2 naming the line, and writes no results", async () => {
    const dir = brokenRun('run');
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => printed.push(line));
    try {
      expect(await judgeRun(dir, store)).toBe(2);
    } finally {
      log.mockRestore();
    }
    expect(printed.join('\n')).toContain(`${join(dir, 'history.jsonl')}:3: not valid JSON`);
    expect(existsSync(join(dir, 'results.json'))).toBe(false);
  });

  it('a cut last line is a warning, not an error', () => {
    const dir = join(store, 'sessions-mixed', 'cut-last');
    writeSyntheticRun(dir, { ops: 200, unchecked: true });
    const text = readFileSync(join(dir, 'history.jsonl'), 'utf8');
    writeFileSync(join(dir, 'history.jsonl'), `${text}{"index":`);
    const r = rig('check', dir);
    expect(r.out).toMatch(/warning: .*history\.jsonl:\d+: truncated last line skipped/);
    expect(r.out).not.toMatch(/unreadable/);
    expect(existsSync(join(dir, 'results.json'))).toBe(true);
  });
});
