// Proves the loaders: every line is validated and a bad one is named by file and line; a truncated last line is a
// warning, not an error; a history that breaks the invoke/complete discipline is refused at the offending line.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadError, loadHistoryFile, loadRun, parseHistory } from '../run-dir.ts';

const w = (value: number, type = 'invoke', process: number | string = 0) =>
  JSON.stringify({ type, process, f: 'write', value, time: value });

function loadError(fn: () => unknown): LoadError {
  try {
    fn();
  } catch (err) {
    if (err instanceof LoadError) return err;
    throw err;
  }
  throw new Error('expected a LoadError');
}

describe('history loading', () => {
  it('fills in indices and accepts a missing key and extra fields', () => {
    const { history, warnings } = parseHistory(`${w(1)}\n${w(1, 'ok')}\n`);
    expect(history.map((o) => o.index)).toEqual([0, 1]);
    expect(warnings).toEqual([]);
  });

  it('names the line of an invalid field, counting blank lines', () => {
    const e = loadError(() => parseHistory(`${w(1)}\n\n{"type":"ok","process":0,"f":"write","value":1}\n`));
    expect(e.line).toBe(3);
    expect(e.message).toBe('history.jsonl:3: field "time": missing (a finite number)');
  });

  it('names the line that is not JSON, unless it is the last line and unterminated', () => {
    expect(loadError(() => parseHistory(`${w(1)}\n{"type":\n${w(1, 'ok')}\n`)).line).toBe(2);
    const { history, warnings } = parseHistory(`${w(1)}\n${w(1, 'ok')}\n{"type":"inv`);
    expect(history).toHaveLength(2);
    expect(warnings[0]).toMatch(/^history.jsonl:3: truncated last line skipped/);
  });

  it('refuses a completion without an invocation, a double invocation, a mismatched f and a wrong index', () => {
    expect(loadError(() => parseHistory(`${w(1, 'ok')}\n`)).message).toContain(
      ':1: ok on process 0 without an open invoke',
    );
    expect(loadError(() => parseHistory(`${w(1)}\n${w(2)}\n`)).line).toBe(2);
    const read = JSON.stringify({ type: 'ok', process: 0, f: 'read', value: 1, time: 2 });
    expect(loadError(() => parseHistory(`${w(1)}\n${read}\n`)).message).toContain('completes invoke 0 of "write"');
    const indexed = JSON.stringify({ index: 5, type: 'invoke', process: 0, f: 'write', value: 1, time: 1 });
    expect(loadError(() => parseHistory(`${indexed}\n`)).message).toContain('index 5 out of order: expected 0');
  });

  it('refuses an operation no checker reads and a cas that is not [from, to], naming the line', () => {
    const unknown = loadError(() =>
      parseHistory(`${w(1)}\n${w(1, 'ok')}\n{"type":"invoke","process":1,"f":"inc","value":1,"time":5}\n`),
    );
    expect(unknown.message).toMatch(
      /^history.jsonl:3: f "inc" is not an operation any checker reads: expected one of /,
    );
    const cas = (value: unknown) => `{"type":"invoke","process":0,"f":"cas","value":${JSON.stringify(value)},"time":1}`;
    expect(loadError(() => parseHistory(`${cas(3)}\n`)).message).toBe('history.jsonl:1: cas value 3 is not [from, to]');
    expect(loadError(() => parseHistory(`${cas([1, 2, 3])}\n`)).line).toBe(1);
    expect(parseHistory(`${cas([1, 2])}\n`).history).toHaveLength(1);
    // Nemesis ops may be anything: their f names the fault.
    expect(
      parseHistory(
        '{"type":"invoke","process":"nemesis","f":"start-anything","value":{},"time":1}\n{"type":"info","process":"nemesis","f":"start-anything","value":{},"time":2}\n',
      ).history,
    ).toHaveLength(2);
  });

  it('refuses a time going backwards, naming the line', () => {
    const at = (time: number, type = 'invoke', process = 0) =>
      JSON.stringify({ type, process, f: 'write', value: 1, time });
    const err = loadError(() => parseHistory(`${at(10)}\n${at(20, 'invoke', 1)}\n${at(15, 'ok')}\n`));
    expect(err.line).toBe(3);
    expect(err.message).toContain("time 15 is earlier than the previous op's 20");
    expect(parseHistory(`${at(10)}\n${at(10, 'invoke', 1)}\n${at(15, 'ok')}\n`).history).toHaveLength(3);
  });
});

describe('run loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rig-load-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a history and every observations file, in chunks, with line numbers per file', () => {
    // Longer than one 1 MiB read, so lines straddle chunk boundaries.
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) lines.push(w(i, 'invoke', i), w(i, 'ok', i));
    writeFileSync(join(dir, 'history.jsonl'), `${lines.join('\n')}\n`);
    mkdirSync(join(dir, 'observations'));
    const leader = { kind: 'leader', node: 'n1', epoch: 1, event: 'acquire', at: 0 };
    writeFileSync(join(dir, 'observations', 'leader.jsonl'), `${JSON.stringify(leader)}\n`);
    writeFileSync(join(dir, 'observations', 'notes.txt'), 'ignored\n');
    const run = loadRun(dir);
    expect(run.history).toHaveLength(60_000);
    expect(run.observations.leader).toEqual([leader]);
    expect(run.warnings).toEqual([]);
  });

  it('names the observations file and line of a bad record and of an unknown kind', () => {
    const small = join(dir, 'small');
    mkdirSync(join(small, 'observations'), { recursive: true });
    writeFileSync(join(small, 'history.jsonl'), `${w(1)}\n${w(1, 'ok')}\n`);
    const file = join(small, 'observations', 'events.jsonl');
    writeFileSync(file, '{"kind":"event","entryId":"1-0"}\n');
    expect(loadError(() => loadRun(small)).message).toBe(`${file}:1: field "sessionId": missing (a string)`);
    writeFileSync(file, '\n{"kind":"gossip"}\n');
    expect(loadError(() => loadRun(small)).message).toContain(`${file}:2: unknown observation kind "gossip"`);
  });

  it('reports a file that cannot be opened', () => {
    expect(loadError(() => loadHistoryFile(join(dir, 'missing.jsonl'))).message).toContain('cannot open');
  });
});
