// Proves checkRun takes its settings from the run's own config.json (or, for a run stored before config.json said,
// the defaults `rig run` would have stored: the quiet window, and `faults` only with a schedule), that overrides
// replace exactly what they name and are recorded, that a bare history gets the bare defaults, that an unknown
// checker name is refused, and that the results are written where each reader looks for them.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../format/config.ts';
import { checkHistoryFile, checkRun, settingsOf, UnknownCheckerError } from '../check-run.ts';
import { bareHistoryCheckerNames, defaultCheckerNames } from '../index.ts';

const root = mkdtempSync(join(tmpdir(), 'check-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (o: Partial<RunConfig> = {}): RunConfig => ({
  options: {
    workload: 'sessions',
    protocol: '2pc',
    nemesis: 'kill',
    timeLimitS: 10,
    rate: 50,
    concurrency: 1,
    seed: 1,
    nodes: 3,
    env: 'auto',
    store: 'store',
    quietS: 7,
    leaseTtlMs: 2000,
    subscribers: 1000,
    cells: 100,
    command: 'npx rig run',
  },
  seed: 1,
  schedule: [{ startMs: 100, endMs: 200, nemesis: 'kill', variant: 'leader' }],
  startedAt: '2026-01-01T00:00:00.000Z',
  versions: {},
  ...o,
});

const write = (f: string, value: number, type: string, time: number) =>
  JSON.stringify({ type, process: 0, f, value, time });
const registerHistory = `${write('write', 1, 'invoke', 0)}\n${write('write', 1, 'ok', 10)}\n`;

/** A run directory with a register history (enough for linearizable to judge) and the given config.json. */
function runDir(name: string, cfg: RunConfig | undefined): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'history.jsonl'), registerHistory);
  if (cfg) writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  return dir;
}

describe('settingsOf', () => {
  it('gives a run stored without `check` the settings rig run would store: its quiet window, faults if scheduled', () => {
    expect(settingsOf(config())).toEqual({
      deadlineMs: 7000,
      timeLimitMs: 10_000,
      checkers: defaultCheckerNames(true),
    });
    expect(settingsOf(config({ schedule: [] })).checkers).toEqual(defaultCheckerNames(false));
    expect(defaultCheckerNames(true)).toContain('faults');
    expect(defaultCheckerNames(false)).not.toContain('faults');
  });

  it("takes a run's own `check` as it is, and gives a bare history the bare defaults", () => {
    const check = { deadlineMs: 1, timeLimitMs: 2, checkers: ['stats'] };
    expect(settingsOf(config({ check }))).toEqual(check);
    expect(settingsOf(undefined)).toEqual({
      deadlineMs: 10_000,
      timeLimitMs: 10_000,
      checkers: bareHistoryCheckerNames,
    });
  });
});

describe('checkRun', () => {
  it("judges with the run's settings, records no overrides, and writes results.json", () => {
    const dir = runDir('own', config({ check: { deadlineMs: 5, timeLimitMs: 50, checkers: ['linearizable'] } }));
    const r = checkRun(dir);
    expect(r).toMatchObject({ valid: true, input: dir, ops: 2 });
    expect(r.settings).toEqual({ deadlineMs: 5, timeLimitMs: 50, checkers: ['linearizable'] });
    expect(r.overrides).toBeUndefined();
    expect(Object.keys(r.results)).toEqual(['linearizable']);
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))).toEqual(r);
  });

  it('hands the checkers its deadline in nanoseconds', () => {
    const dir = runDir('deadline', config({ check: { deadlineMs: 5, timeLimitMs: 50, checkers: ['liveness'] } }));
    expect(checkRun(dir).results.liveness!.stats.deadlineNs).toBe(5_000_000);
  });

  it('replaces only what an override names, ignores one left undefined, and records what was given', () => {
    const dir = runDir('override', config({ check: { deadlineMs: 5, timeLimitMs: 50, checkers: ['linearizable'] } }));
    const r = checkRun(dir, { checkers: ['stats'], timeLimitMs: undefined });
    expect(r.settings).toEqual({ deadlineMs: 5, timeLimitMs: 50, checkers: ['stats'] });
    expect(r.overrides).toEqual({ checkers: ['stats'] });
    expect(Object.keys(r.results)).toEqual(['stats']);
  });

  it('refuses a checker name that is not ours, naming it', () => {
    const dir = runDir('unknown', config({ check: { deadlineMs: 5, timeLimitMs: 50, checkers: ['nope'] } }));
    expect(() => checkRun(dir)).toThrow(UnknownCheckerError);
    expect(() => checkRun(dir)).toThrow(
      /^unknown checker "nope": expected a comma-separated list of atomicity, requests, conservation, /,
    );
  });
});

describe('checkRun: what reaches the checkers (issue 30)', () => {
  it("hands the checkers the run's lease, which bounds a leader loss; a bare history has none", () => {
    const dir = runDir('lease', config({ check: { deadlineMs: 5, timeLimitMs: 50, checkers: ['stats'] } }));
    expect(checkRun(dir).results.stats!.stats.availability).toMatchObject({ boundMs: 2500 });
    const path = join(root, 'lease.jsonl');
    writeFileSync(path, registerHistory);
    const bare = checkHistoryFile(path, { checkers: ['stats'] });
    expect(bare.results.stats!.stats.availability).toEqual({ windows: [], leaderLossWindows: 0, overBound: 0 });
  });

  it('refuses an unknown checker with an error that names it', () => {
    const dir = runDir('unknown-named', config({ check: { deadlineMs: 5, timeLimitMs: 50, checkers: ['stats'] } }));
    let caught: unknown;
    try {
      checkRun(dir, { checkers: ['stats', 'nope'] });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UnknownCheckerError);
    expect(caught).toMatchObject({ name: 'UnknownCheckerError', checker: 'nope' });
    expect((caught as Error).message).toBe(
      'unknown checker "nope": expected a comma-separated list of atomicity, requests, conservation, single-leader, stream-ordering, liveness, linearizable, scheduler, stats, faults',
    );
    expect(existsSync(join(dir, 'results.json'))).toBe(false);
  });

  it('checks a run stored without config.json with the bare defaults and no lease', () => {
    const dir = runDir('no-config', undefined);
    const r = checkRun(dir, { checkers: ['stats', 'linearizable'] });
    expect(r.settings).toEqual({ deadlineMs: 10_000, timeLimitMs: 10_000, checkers: ['stats', 'linearizable'] });
    expect(r.valid).toBe(true);
    expect(r.results.stats!.stats.availability).toEqual({ windows: [], leaderLossWindows: 0, overBound: 0 });
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))).toEqual(r);
  });

  it('gives a run stored with no schedule and no `check` the defaults without faults, from its quiet window', () => {
    const dir = runDir('no-schedule', config({ schedule: [] }));
    const r = checkRun(dir);
    expect(r.settings).toEqual({ deadlineMs: 7000, timeLimitMs: 10_000, checkers: defaultCheckerNames(false) });
    expect(r.results.faults).toBeUndefined();
    expect(r.results.stats).toBeDefined();
    expect(r.warnings).toEqual([]);
  });
});

describe('checkRun: a checker whose input the history lacks', () => {
  const line = (type: string, process: number, f: string, value: unknown, time: number) =>
    JSON.stringify({ type, process, f, value, time });
  const asked = { requestId: 'r1', subscriberId: 'imsi-001010000000001', trafficClass: 'data', protocol: '2pc' };
  const creates = [
    line('invoke', 0, 'create-session', asked, 0),
    line('ok', 0, 'create-session', { sessionId: 's1', txnId: 't1', outcome: 'committed', revision: 1 }, 10),
  ];
  const reads = [
    line('invoke', 0, 'read-session', { sessionId: 's1' }, 20),
    line('ok', 0, 'read-session', { sessionId: 's1', revision: 1, status: 'COMMITTED' }, 30),
  ];
  const dirWith = (name: string, lines: string[]) => {
    const dir = join(root, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'history.jsonl'), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config({ schedule: [] })));
    return dir;
  };

  it('is in the default set, and judges a run whose clients read or changed sessions', () => {
    expect(defaultCheckerNames(false)).toContain('linearizable');
    const r = checkRun(dirWith('lifecycle', [...creates, ...reads]));
    expect(r.results.linearizable).toMatchObject({ valid: true, coverage: { keys: 1, ops: 1 } });
  });

  it('is not applied to a run that only created sessions (listed in the settings, absent from the results)', () => {
    const r = checkRun(dirWith('creates-only', creates));
    expect(r.settings!.checkers).toContain('linearizable');
    expect(r.results.linearizable).toBeUndefined();
    expect(r.results.stats).toBeDefined();
  });

  it('judges anyway when named on the command line, and says it examined nothing', () => {
    const r = checkRun(dirWith('creates-named', creates), { checkers: ['linearizable'] });
    expect(r.results.linearizable).toMatchObject({ valid: 'unknown', error: 'examined nothing: 0 keys, 0 ops' });
  });
});

describe('checkHistoryFile', () => {
  it('judges a bare history with the bare defaults and writes <file>.results.json', () => {
    const path = join(root, 'bare.jsonl');
    writeFileSync(path, registerHistory);
    const r = checkHistoryFile(path, { checkers: ['linearizable'] });
    expect(r.settings).toEqual({ deadlineMs: 10_000, timeLimitMs: 10_000, checkers: ['linearizable'] });
    expect(r.valid).toBe(true);
    expect(JSON.parse(readFileSync(`${path}.results.json`, 'utf8'))).toEqual(r);
  });
});
