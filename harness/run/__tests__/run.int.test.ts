// Short real runs through the CLI, as a user would run them: a fault-free run and a run with partitions, kills
// and pauses both end valid; `rig check` reproduces a stored verdict; `rig repro` replays the same schedule;
// Ctrl-C leaves a checkable prefix and no process behind.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const store = mkdtempSync(join(tmpdir(), 'rig-run-test-'));
// A failed test's runs (their logs, history and data) stay for whoever reads the failure; its message names them.
let failed = false;
afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') failed = true;
});
afterAll(() => {
  if (failed) console.error(`rig run tests failed: their runs are kept in ${store}`);
  else rmSync(store, { recursive: true, force: true });
});

function rig(args: string[], timeoutMs = 240_000) {
  const r = spawnSync(process.execPath, ['bin/rig.js', ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const runDirOf = (out: string) => /run directory: (\S+)/.exec(out)?.[1] ?? '';

function leftovers(dir: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes(dir) && !l.includes('ps -eo'));
}

function nemesisOps(runDir: string) {
  return readFileSync(join(runDir, 'history.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { process: unknown; f: string; type: string })
    .filter((o) => o.process === 'nemesis');
}

/**
 * `rig check` on a stored run gives the run's own verdict: the same settings (from config.json), the same verdict and
 * statistics per checker. Only the wall-clock part of a result may differ, and no checker reports one.
 */
function expectRecheckAgrees(dir: string, runCode = 0) {
  const stored = readFileSync(join(dir, 'results.json'), 'utf8');
  const again = rig(['check', dir]);
  expect(again.code, again.out + again.err).toBe(runCode);
  const [before, after] = [JSON.parse(stored), JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))];
  expect(after.settings).toEqual(before.settings);
  expect(after.settings.deadlineMs).toBe(
    JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).options.quietS * 1000,
  );
  expect(after.valid).toEqual(before.valid);
  expect(Object.keys(after.results)).toEqual(Object.keys(before.results));
  for (const name of Object.keys(before.results)) expect(after.results[name], name).toEqual(before.results[name]);
}

describe('rig run', () => {
  let faultFree = '';

  it('ends valid without faults, and rig check reproduces the verdict', () => {
    const r = rig(['run', '--nemesis', 'none', '--time-limit', '5', '--seed', '11', '--quiet', '10', '--store', store]);
    expect(r.code, r.out + r.err).toBe(0);
    faultFree = runDirOf(r.out);
    for (const f of ['config.json', 'history.jsonl', 'results.json', 'observations/txn.jsonl', 'logs/sm-1.log']) {
      expect(existsSync(join(faultFree, f)), f).toBe(true);
    }
    const results = JSON.parse(readFileSync(join(faultFree, 'results.json'), 'utf8')) as { valid: unknown };
    expect(results.valid).toBe(true);
    const again = rig(['check', faultFree]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^atomicity\s+valid\s+[1-9][\d,]* txns, [1-9][\d,]* participant outcomes$/m);
    expect(again.out).toMatch(/^faults\s+not applied to this run$/m);
    expect(leftovers(store)).toEqual([]);
  });

  it('ends valid under partitions, kills and pauses, with a nemesis op for each kind', () => {
    const r = rig([
      'run',
      '--nemesis',
      'partition,kill,pause',
      '--time-limit',
      '24',
      '--seed',
      '7',
      '--lease-ttl-ms',
      '1000',
      '--store',
      store,
    ]);
    expect(r.code, r.out + r.err).toBe(0);
    const dir = runDirOf(r.out);
    const kinds = new Set(nemesisOps(dir).map((o) => o.f));
    for (const f of [
      'start-partition',
      'stop-partition',
      'start-kill',
      'stop-kill',
      'start-pause',
      'stop-pause',
      'final-heal',
    ]) {
      expect(kinds, f).toContain(f);
    }
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { schedule: unknown[]; seed: number };
    expect(config.seed).toBe(7);
    expect(config.schedule.length).toBeGreaterThanOrEqual(3);
    expect(readFileSync(join(store, 'latest', 'config.json'), 'utf8')).toEqual(
      readFileSync(join(dir, 'config.json'), 'utf8'),
    );
    expect(leftovers(store)).toEqual([]);
    expectRecheckAgrees(dir);
  });

  it('under contention with its default faults, rig check gives the verdict and statistics rig run gave', () => {
    const r = rig(['run', '--workload', 'contention', '--time-limit', '10', '--seed', '5', '--store', store]);
    expect([0, 1, 2], r.out + r.err).toContain(r.code);
    expectRecheckAgrees(runDirOf(r.out), r.code!);
  });

  it('stops on Ctrl-C, keeps a checkable history and leaves no process', async () => {
    const parent = join(store, 'sessions-2pc');
    const runsNow = () =>
      existsSync(parent) ? execFileSync('ls', [parent], { encoding: 'utf8' }).split('\n').filter(Boolean) : [];
    const before = new Set(runsNow());
    const child: ChildProcess = spawn(
      process.execPath,
      ['bin/rig.js', 'run', '--nemesis', 'none', '--time-limit', '120', '--seed', '3', '--store', store],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Wait until this run's own history has some ops in it.
    const until = Date.now() + 90_000;
    let history = '';
    while (Date.now() < until && !history) {
      const mine = runsNow().find((d) => !before.has(d));
      const candidate = mine ? join(parent, mine, 'history.jsonl') : '';
      if (candidate && existsSync(candidate) && readFileSync(candidate, 'utf8').split('\n').length > 20)
        history = candidate;
      else await new Promise((r) => setTimeout(r, 200));
    }
    expect(history, out).not.toBe('');
    child.kill('SIGINT');
    const code = await exited;
    expect([2, 130]).toContain(code);
    const runDir = join(history, '..');
    const check = rig(['check', runDir]);
    expect([0, 1, 2]).toContain(check.code);
    expect(check.out).not.toMatch(/unreadable/);
    expect(leftovers(store)).toEqual([]);
  });
});
