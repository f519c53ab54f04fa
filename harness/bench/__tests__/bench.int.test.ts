// Runs `rig bench` as a user would, short, and proves what it writes: bench.json with the system's and the floor's
// figures for the level asked for, their ratio, the machine and versions, and bench.html; and that nothing it
// started is left running. Benchmarks measure; this asserts only behaviour, never a time.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchDocument } from '../html.ts';

const store = mkdtempSync(join(tmpdir(), 'rig-bench-test-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

/** Servers run with the store in their arguments; services have the bench's Postgres address in their environment. */
function leftovers(dir: string, postgresAddress: string | undefined): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  const servers = ps.split('\n').filter((l) => l.includes(dir) && !l.includes('ps -eo'));
  if (!postgresAddress) return servers;
  const services = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(postgresAddress);
      } catch {
        return false;
      }
    });
  return [...servers, ...services.map((pid) => `service pid ${pid}`)];
}

describe('rig bench', () => {
  it('writes the system and floor figures and their ratio, and leaves no process', () => {
    const args = ['bench', '--duration', '2', '--concurrency', '2', '--protocol', '2pc', '--store', store];
    const r = spawnSync(process.execPath, ['bin/rig.js', ...args], { encoding: 'utf8', timeout: 180_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const [stamp] = readdirSync(join(store, 'bench'));
    const dir = join(store, 'bench', stamp!);
    expect(existsSync(join(dir, 'bench.html'))).toBe(true);
    const doc = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8')) as BenchDocument;
    expect(doc.machine.cpus).toBeGreaterThan(0);
    expect(doc.versions.postgres).toMatch(/^\d+/);
    expect(doc.versions.redis).toMatch(/^\d+/);
    const [p] = doc.protocols;
    expect(p?.protocol).toBe('2pc');
    expect(p?.available).toBe(true);
    expect(p?.levels).toHaveLength(1);
    const l = p!.levels[0]!;
    expect(l.concurrency).toBe(2);
    for (const side of [l.system, l.floor]) {
      expect(side.completed).toBeGreaterThan(0);
      expect(side.latency.count).toBe(side.completed);
      expect(side.latency.p99Ms).toBeGreaterThan(0);
    }
    expect(l.ratio).toBeCloseTo(l.system.throughputPerS / l.floor.throughputPerS, 2);
    expect(p?.best?.ratio).toBeGreaterThan(0);
    expect(p?.halfLoad?.completed).toBeGreaterThan(0);
    // The half load second by second: every request due is in exactly one second; the CPU of each second beside it.
    const timeline = p!.halfLoad!.timeline!;
    expect(timeline.length).toBeGreaterThanOrEqual(2);
    expect(timeline.reduce((n, s) => n + s.completed, 0)).toBe(p!.halfLoad!.completed);
    expect(timeline[0]?.busyPct).toBeGreaterThan(0);
    expect(timeline[0]?.cpuMs).toHaveProperty('gateway');
    expect(r.stdout).toMatch(/2pc best: system .* system\/floor \d/);
    // The local provider names its Postgres address; the services' DATABASE_URL holds it.
    const postgresAddress = /postgres on (127\.0\.0\.1:\d+)/.exec(doc.environment)?.[1];
    expect(leftovers(store, postgresAddress && `${postgresAddress}/`)).toEqual([]);
  });
});
