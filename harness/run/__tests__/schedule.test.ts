// Proves one seed fixes the fault schedule and the workload's op sequence, and that different seeds differ.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../lib/rng.ts';
import { sessions } from '../../../workloads/sessions.ts';
import { parseNemeses } from '../../nemesis/index.ts';
import { planSchedule } from '../schedule.ts';

const opts = { protocol: 'mixed' as const, subscribers: 1000, cells: 100 };

function firstOps(seed: number, n: number) {
  const gen = sessions.ops(new Rng(seed).fork('workload'), opts);
  return Array.from({ length: n }, () => gen.next().value);
}

describe('seeded schedule and workload', () => {
  it('resolves the same schedule and op sequence from the same seed', () => {
    const nemeses = parseNemeses('partition,kill,pause');
    const a = planSchedule(new Rng(7).fork('schedule'), nemeses, { timeLimitMs: 30_000, leaseTtlMs: 2000 });
    const b = planSchedule(new Rng(7).fork('schedule'), nemeses, { timeLimitMs: 30_000, leaseTtlMs: 2000 });
    expect(a).toEqual(b);
    expect(firstOps(7, 500)).toEqual(firstOps(7, 500));
    expect(firstOps(8, 50)).not.toEqual(firstOps(7, 50));
  });

  it('gives every enabled nemesis a turn before any repeats, inside the time limit', () => {
    const nemeses = parseNemeses('partition,kill,pause');
    for (let seed = 0; seed < 50; seed++) {
      const s = planSchedule(new Rng(seed), nemeses, { timeLimitMs: 30_000, leaseTtlMs: 2000 });
      expect(new Set(s.slice(0, 3).map((w) => w.nemesis)).size).toBe(Math.min(3, s.length));
      for (const w of s) {
        expect(w.endMs).toBeLessThanOrEqual(30_000);
        if (w.nemesis === 'pause' || w.nemesis === 'partition')
          expect(w.endMs - w.startMs).toBeGreaterThanOrEqual(4000);
      }
      for (let i = 1; i < s.length; i++) expect(s[i]!.startMs).toBeGreaterThan(s[i - 1]!.endMs);
    }
  });

  it('names unknown nemeses and accepts all and none', () => {
    expect(() => parseNemeses('partition,flood')).toThrow(/unknown nemesis flood/);
    expect(() => parseNemeses('partition:sideways')).toThrow(/partition has no variant sideways/);
    expect(parseNemeses('partition:one-way,kill')[0]!.variants).toEqual(['one-way']);
    expect(parseNemeses('none')).toEqual([]);
    expect(parseNemeses('all').length).toBeGreaterThan(5);
  });

  it('produces valid requests: canonical subscribers, known classes, cells within range', () => {
    for (const spec of firstOps(3, 2000)) {
      const op = spec.f === 'create-session' ? spec : { value: spec.orCreate };
      expect(op.value.subscriberId).toMatch(/^imsi-00101\d{10}$/);
      expect(Number(op.value.subscriberId.slice(-10))).toBeLessThan(1000);
      for (const c of op.value.cells ?? []) expect(Number(c.slice(5))).toBeLessThanOrEqual(100);
    }
  });
});
