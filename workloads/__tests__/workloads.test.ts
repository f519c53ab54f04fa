// Proves every workload is deterministic per seed, lazy, and produces requests the gateway accepts; and that the
// session workloads mix their lifecycle ops as documented: the default one a quarter of its ops on recent sessions,
// `lifecycle` racing on a few hot slots with conditional and unconditional writes.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../lib/rng.ts';
import { cellIdPattern, cellsPerRequestMax, isTrafficClass } from '../../system/common/contract.ts';
import { validateSessionRequest } from '../../system/edge-gateway/validation.ts';
import { workloads } from '../index.ts';
import { lifecycle } from '../lifecycle.ts';
import { sessions, zipf } from '../sessions.ts';
import { type OpSpec, requestIdOf } from '../types.ts';

const opts = { protocol: 'mixed' as const, subscribers: 1000, cells: 100 };

function take(w: { ops: (typeof sessions)['ops'] }, seed: number, n: number): OpSpec[] {
  const gen = w.ops(new Rng(seed), opts);
  return Array.from({ length: n }, () => gen.next().value);
}

const share = (ops: OpSpec[], pred: (op: OpSpec) => boolean) => ops.filter(pred).length / ops.length;

describe.each(workloads.map((w) => [w.name, w] as const))('workload %s', (_name, w) => {
  it('yields the same sequence for the same seed and another for another seed', () => {
    expect(take(w, 42, 300)).toEqual(take(w, 42, 300));
    expect(take(w, 43, 30)).not.toEqual(take(w, 42, 30));
  });

  it('yields only requests the gateway accepts, with unique request ids', () => {
    const ops = take(w, 5, 1000);
    expect(new Set(ops.map(requestIdOf)).size).toBe(ops.length);
    for (const op of ops) {
      const create = op.f === 'create-session' ? op.value : { requestId: op.requestId, ...op.orCreate };
      const { requestId: _id, ...body } = create;
      expect(validateSessionRequest(body).ok, JSON.stringify(body)).toBe(true);
      if (op.f !== 'modify-session') continue;
      // A modify names at least one field, each as creation accepts it (docs/api.md, PATCH).
      const { trafficClass, cells } = op.change;
      expect(trafficClass !== undefined || cells !== undefined).toBe(true);
      if (trafficClass !== undefined) expect(isTrafficClass(trafficClass)).toBe(true);
      if (cells !== undefined) {
        expect(cells.length).toBeGreaterThan(0);
        expect(cells.length).toBeLessThanOrEqual(cellsPerRequestMax);
        expect(new Set(cells).size).toBe(cells.length);
        for (const c of cells) expect(c).toMatch(cellIdPattern);
      }
    }
  });
});

describe('sessions', () => {
  const ops = take(sessions, 7, 20_000);

  it('gives a quarter of its ops to reads, modifies and releases of the sixteen most recent creates', () => {
    const lifecycleShare = share(ops, (op) => op.f !== 'create-session');
    expect(lifecycleShare).toBeGreaterThan(0.2);
    expect(lifecycleShare).toBeLessThan(0.3);
    expect(share(ops, (op) => op.f === 'release-session')).toBeLessThan(share(ops, (op) => op.f === 'modify-session'));
    // Every create fills the next slot of the ring, and every other op names a slot a create filled before it.
    let created = 0;
    for (const op of ops) {
      if (op.f === 'create-session') expect(op.slot).toBe(created++ % 16);
      else expect(op.slot).toBeLessThan(Math.min(created, 16));
    }
    expect(ops[0]!.f).toBe('create-session');
  });
});

describe('lifecycle', () => {
  const ops = take(lifecycle, 7, 20_000) as Exclude<OpSpec, { f: 'create-session' }>[];

  it('acts on a small pool of slots, a few of them hot', () => {
    expect(ops.every((op) => op.f !== ('create-session' as string))).toBe(true);
    const perSlot = new Map<number, number>();
    for (const op of ops) perSlot.set(op.slot, (perSlot.get(op.slot) ?? 0) + 1);
    expect([...perSlot.keys()].every((s) => s >= 0 && s < 16)).toBe(true);
    expect(perSlot.size).toBe(16);
    const hottest = Math.max(...perSlot.values());
    expect(hottest / ops.length).toBeGreaterThan(0.15);
  });

  it('sends ops in bursts on one slot, mixes conditional and unconditional writes 70/30, releases rarer', () => {
    let repeats = 0;
    for (let i = 1; i < ops.length; i++) if (ops[i]!.slot === ops[i - 1]!.slot) repeats++;
    expect(repeats / ops.length).toBeGreaterThan(0.4);
    const writes = ops.filter((op) => op.f !== 'read-session');
    const conditional = share(writes, (op) => op.f !== 'read-session' && op.f !== 'create-session' && op.conditional);
    expect(conditional).toBeGreaterThan(0.65);
    expect(conditional).toBeLessThan(0.75);
    expect(share(ops, (op) => op.f === 'release-session')).toBeLessThan(
      share(ops, (op) => op.f === 'modify-session') / 2,
    );
    expect(share(ops, (op) => op.f === 'read-session')).toBeGreaterThan(0.2);
  });
});

describe('zipf', () => {
  it('stays in range and favours low ranks', () => {
    const rng = new Rng(1);
    const counts = new Array(100).fill(0);
    for (let i = 0; i < 20_000; i++) counts[zipf(rng, 100)]++;
    expect(counts.every((c) => c >= 0)).toBe(true);
    expect(counts[0]).toBeGreaterThan(counts[50] * 5);
  });
});
