// Runs the real `rig` command as a user would and checks its exit codes and output.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function rig(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/rig.js', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function projectServers(): string[] {
  // Servers started by the project carry a rig temp dir in their command line.
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => /rig-doctor-/.test(l) && !l.includes('ps -eo'));
}

describe('rig CLI', () => {
  it('lists every subcommand with --help and exits 0', () => {
    const r = rig('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\s+doctor\s+\S/m);
  });

  it('exits 2 with the usage on an unknown subcommand', () => {
    const r = rig('nonsense');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown command "nonsense"');
    expect(r.err).toContain('usage: rig <command>');
  });

  it('exits 2 naming a bad flag or a bad flag value', () => {
    const bad = rig('doctor', '--frobnicate');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("'--frobnicate'");
    const value = rig('doctor', '--env', 'moon');
    expect(value.code).toBe(2);
    expect(value.err).toContain('--env must be one of auto, external, local, containers, got "moon"');
  });

  it('doctor picks local here, starts and stops the servers, exits 0 and leaves nothing running', () => {
    const r = rig('doctor', '--env', 'auto');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/auto picks: local/);
    expect(r.out).toMatch(/timing: +start \d+ ms, stop \d+ ms/);
    expect(projectServers()).toEqual([]);
  });
});
