// Proves the /proc parsing and the per-transaction arithmetic of the CPU accounting, on hand-written text: a
// command name with spaces and parentheses, a process tree (the postmaster, its backends and the exited ones), and
// the division.
import { describe, expect, it, vi } from 'vitest';
import { cpuBetween, groupTicks, parseMachine, parseStat, sampleEverySecond } from '../cpu.ts';

describe('cpu accounting', () => {
  it('reads ppid and user+system ticks after a command name with spaces and parentheses', () => {
    const stat = '4242 (postgres: a (b) c) S 17 4242 4242 0 -1 4194560 100 0 0 0 30 12 0 0 20 0 1 0 5 0 0';
    expect(parseStat(stat)).toEqual({ ppid: 17, ticks: 42, reaped: 0 });
    const reaping = '17 (postgres) S 1 17 17 0 -1 4194560 100 0 0 0 30 12 200 50 20 0 1 0 5 0 0';
    expect(parseStat(reaping)).toEqual({ ppid: 1, ticks: 42, reaped: 250 });
  });

  it('counts busy as everything but idle and iowait', () => {
    expect(parseMachine('cpu  10 1 5 80 4 0 0 0 0 0\ncpu0 1 1 1 1 1 1 1 1')).toEqual({ busy: 16, total: 100 });
  });

  it('sums a process tree with its exited children, or one process', () => {
    const procs = new Map([
      [1, { ppid: 0, ticks: 1, reaped: 0 }],
      [10, { ppid: 1, ticks: 5, reaped: 40 }],
      [11, { ppid: 10, ticks: 7, reaped: 0 }],
      [12, { ppid: 10, ticks: 3, reaped: 0 }],
      [20, { ppid: 1, ticks: 100, reaped: 0 }],
    ]);
    expect(groupTicks(procs, 10, true)).toBe(55);
    expect(groupTicks(procs, 10, false)).toBe(5);
    expect(groupTicks(procs, 99, true)).toBe(0);
  });

  it('divides the CPU milliseconds spent by the transactions completed', () => {
    const before = { ticks: { rm: 100, pg: 0 }, machine: { busy: 0, total: 0 } };
    const after = { ticks: { rm: 150, pg: 20 }, machine: { busy: 150, total: 200 } };
    expect(cpuBetween(before, after, 100)).toEqual({ machineBusyPct: 75, msPerTxn: { rm: 5, pg: 2 } });
    expect(cpuBetween(undefined, after, 100)).toBeUndefined();
    const gone = { ticks: { rm: 0, pg: 20 }, machine: { busy: 150, total: 200 } };
    expect(cpuBetween(before, gone, 100)?.msPerTxn).toEqual({ pg: 2 });
  });

  it.runIf(process.platform === 'linux')('samples each second of CPU until stopped', () => {
    vi.useFakeTimers();
    try {
      const sampler = sampleEverySecond([{ name: 'self', pid: process.pid, tree: false }]);
      vi.advanceTimersByTime(2500);
      const seconds = sampler.stop();
      vi.advanceTimersByTime(2000);
      expect(seconds).toHaveLength(2);
      for (const s of seconds) {
        expect(s.busyPct).toBeGreaterThanOrEqual(0);
        expect(s.busyPct).toBeLessThanOrEqual(100);
        expect(s.cpuMs.self).toBeGreaterThanOrEqual(0);
      }
    } finally {
      vi.useRealTimers();
    }
  });
});
