// Runs the real `rig check` as a user would, on files written to a temp directory, and checks exit codes (0 valid,
// 1 invalid, 2 unknown or unreadable), the verdict lines, and the results files written beside the input.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const golden = join(import.meta.dirname, '../../../checkers/__tests__/golden');
const dir = mkdtempSync(join(tmpdir(), 'rig-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rig(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/rig.js', 'check', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function file(name: string, lines: object[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return path;
}

const op = (type: string, process: number, f: string, value: unknown, time: number) => ({
  type,
  process,
  f,
  value,
  time,
});

describe('rig check', () => {
  it('exits 1 on a register history with a stale read, naming the op', () => {
    const path = file('stale.jsonl', [
      op('invoke', 0, 'write', 1, 0),
      op('ok', 0, 'write', 1, 10),
      op('invoke', 1, 'write', 2, 20),
      op('ok', 1, 'write', 2, 30),
      op('invoke', 0, 'read', null, 40),
      op('ok', 0, 'read', 1, 50),
    ]);
    const r = rig('--checker', 'linearizable', path);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^linearizable +INVALID .*read 1 \(ops 4-5\) cannot be linearized/);
    const results = JSON.parse(readFileSync(`${path}.results.json`, 'utf8'));
    expect(results.valid).toBe(false);
    expect(results.results.linearizable.anomalies[0].ops).toEqual([4, 5]);
  });

  it('exits 0 on a well-formed linearizable history', () => {
    const path = file('ok.jsonl', [
      op('invoke', 0, 'write', 1, 0),
      op('ok', 0, 'write', 1, 10),
      op('invoke', 1, 'cas', [1, 2], 20),
      op('ok', 1, 'cas', [1, 2], 30),
    ]);
    const r = rig('--checker', 'linearizable', path);
    expect(r.out.trim()).toBe('linearizable     valid  1 key, 2 ops');
    expect(r.code).toBe(0);
  });

  it('exits 2 on malformed input, with the file and line', () => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, '{"type":"invoke","process":0,"f":"write","value":1,"time":0}\nnot json\n');
    const r = rig(path);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`${path}:2: not valid JSON`);
  });

  it('exits 2 when the search budget runs out (unknown)', () => {
    const lines = [];
    for (let p = 0; p < 24; p++) lines.push(op('invoke', p, 'write', p, p));
    for (let p = 0; p < 24; p++) lines.push(op('ok', p, 'write', p, 100 + p));
    lines.push(op('invoke', 99, 'read', null, 200), op('ok', 99, 'read', -1, 210));
    const r = rig('--checker', 'linearizable', '--time-limit-ms', '50', file('hard.jsonl', lines));
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^linearizable +unknown +1 key\(s\) not decided/);
  });

  it('gives the right verdict for each history in a directory, and writes each results file', () => {
    const histories = join(dir, 'histories');
    cpSync(join(golden, 'register'), histories, { recursive: true });
    cpSync(join(golden, 'runs'), histories, { recursive: true });
    const r = rig('--checker', 'linearizable,stream-ordering,atomicity,single-leader', histories);
    expect(r.code).toBe(1);
    const verdict = (name: string, checker: string) => new RegExp(`^${name} +${checker} +(\\S+)`, 'm').exec(r.out)?.[1];
    expect(verdict('stale-read.jsonl', 'linearizable')).toBe('INVALID');
    expect(verdict('lost-cas.jsonl', 'linearizable')).toBe('INVALID');
    expect(verdict('info-cas.jsonl', 'linearizable')).toBe('valid');
    expect(verdict('random-3-keys.jsonl', 'linearizable')).toBe('valid');
    expect(verdict('malformed.jsonl', 'unreadable')).toBe(`${join(histories, 'malformed.jsonl')}:3:`);
    expect(verdict('correct', 'atomicity')).toBe('valid');
    expect(verdict('lost-event', 'stream-ordering')).toBe('INVALID');
    expect(verdict('split-brain', 'single-leader')).toBe('INVALID');
    expect(verdict('partial-commit', 'atomicity')).toBe('INVALID');
    expect(r.err).toContain('truncated.jsonl:3: truncated last line skipped');
    expect(existsSync(join(histories, 'correct', 'results.json'))).toBe(true);
    expect(existsSync(join(histories, 'stale-read.jsonl.results.json'))).toBe(true);
  });

  it('exits 2 naming the accepted checkers on a bad --checker', () => {
    const r = rig('--checker', 'nope', dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--checker must be a comma-separated list of atomicity, requests, conservation');
    expect(r.err).toContain('got "nope"');
  });
});
