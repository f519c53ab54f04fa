// `rig sim` as a user runs it: a simulated run exits 0 with every verdict, `rig repro` replays it to the same trace
// (and refuses a run whose recorded trace it cannot reproduce), and a bad option is a usage error. Integration only in
// that it spawns the CLI: no server is started.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const store = mkdtempSync(join(tmpdir(), 'rig-sim-cli-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

function rig(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/rig.js', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

const trace = (out: string) => /trace ([0-9a-f]{64})/.exec(out)?.[1];

describe('rig sim', () => {
  it('runs, checks and reproduces a simulated run to the same trace', () => {
    const first = rig(
      'sim',
      '--seed',
      '11',
      '--time-limit',
      '6',
      '--workload',
      'lifecycle',
      '--nemesis',
      'partition,kill',
      '--store',
      store,
    );
    expect(first.out).toMatch(/linearizable\s+valid/);
    expect(first.code).toBe(0);
    const runDir = realpathSync(join(store, 'latest'));
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    expect(config.mode).toBe('sim');
    expect(config.sim.traceHash).toBe(trace(first.out));
    // The report says which mode found what it shows.
    expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toContain(`simulation, trace ${trace(first.out)}`);

    const again = rig('repro', runDir);
    expect(again.out).toContain('trace identical to the original run');
    expect(trace(again.out)).toBe(trace(first.out));
    expect(again.code).toBe(0);

    // A recorded trace that the code does not give: the repro says so and exits 2.
    config.sim.traceHash = '0'.repeat(64);
    writeFileSync(join(runDir, 'config.json'), JSON.stringify(config));
    const differs = rig('repro', runDir);
    expect(differs.out).toContain('the trace differs from the original');
    expect(differs.code).toBe(2);
  }, 120_000);

  it('refuses an unknown nemesis as rig run does, naming it, and runs nothing', () => {
    const r = rig('sim', '--nemesis', 'kill,bogus', '--store', store);
    expect(r.out).toContain('unknown nemesis bogus');
    expect(r.code).toBe(2);
  });
});
