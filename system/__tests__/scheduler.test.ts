// The scheduler's policy with a fake clock: voice before video before data, FIFO within a class, aging (promotion
// after agingMs, with a bounded share of turns) that lets data through under sustained voice load, admission control
// that sheds data before voice, a bounded number of workers, and the queue delay it reports per class.
import { describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../common/clock.ts';
import type { TrafficClass } from '../common/contract.ts';
import { isServiceError } from '../common/errors.ts';
import { PriorityQueue, Scheduler, type SchedulerObserver, type ShedReason } from '../session-manager/scheduler.ts';

/** Real timers, monotonic time from the test. */
const at = (nowMs: () => number): Clock => ({ ...systemClock(), monotonicMs: nowMs });

const takeAll = <T>(q: PriorityQueue<T>, nowMs: number) => {
  const out: T[] = [];
  for (let e = q.take(nowMs); e; e = q.take(nowMs)) out.push(e.item);
  return out;
};

describe('PriorityQueue', () => {
  it('serves voice, then video, then data, each in arrival order', () => {
    const q = new PriorityQueue<string>(10, 1000, 4);
    for (const [item, cls] of [
      ['d1', 'data'],
      ['v1', 'voice'],
      ['x1', 'video'],
      ['d2', 'data'],
      ['v2', 'voice'],
    ] as const) {
      q.offer(item, cls, 0);
    }
    expect(takeAll(q, 0)).toEqual(['v1', 'v2', 'x1', 'd1', 'd2']);
  });

  it('promotes data that waited agingMs: it takes one turn in promotedTurnEvery ahead of waiting voice', () => {
    const q = new PriorityQueue<string>(20, 100, 3);
    q.offer('d1', 'data', 0);
    for (let i = 1; i <= 4; i++) q.offer(`v${i}`, 'voice', 10);
    expect(q.take(50)?.item).toBe('v1'); // d1 has not waited agingMs yet: strict priority
    expect(takeAll(q, 200)).toEqual(['v2', 'v3', 'd1', 'v4']);
  });

  it('never lets a promoted request overtake an older one of a higher class', () => {
    const q = new PriorityQueue<string>(20, 100, 1);
    q.offer('v1', 'voice', 0);
    q.offer('d1', 'data', 10);
    q.offer('v2', 'voice', 20);
    // d1 has waited past agingMs and a promoted turn is due every time, but v1 is older: v1, then d1, then v2.
    expect(takeAll(q, 500)).toEqual(['v1', 'd1', 'v2']);
  });

  it('lets data progress under sustained voice load, at a bounded share', () => {
    const agingMs = 50;
    const every = 4;
    const q = new PriorityQueue<string>(1000, agingMs, every);
    for (let i = 0; i < 5; i++) q.offer(`d${i}`, 'data', 0);
    const served: string[] = [];
    // A new voice request every ms, one served every ms: voice alone could keep the worker busy forever.
    for (let t = 0; t < 1000; t++) {
      q.offer(`v${t}`, 'voice', t);
      served.push(q.take(t)!.item);
    }
    const dataAt = served.flatMap((s, t) => (s.startsWith('d') ? [t] : []));
    expect(dataAt).toHaveLength(5);
    expect(dataAt[0]).toBeLessThanOrEqual(agingMs + every);
    // Then one turn in `every`, and voice keeps the others.
    expect(dataAt.slice(1).map((t, i) => t - dataAt[i]!)).toEqual([every, every, every, every]);
  });

  it('sheds data before voice when full: a higher class evicts the newest lower entry', () => {
    const q = new PriorityQueue<string>(3, 1000, 4);
    q.offer('d1', 'data', 0);
    q.offer('d2', 'data', 1);
    q.offer('x1', 'video', 2);
    expect(q.offer('d3', 'data', 3)).toEqual({ admitted: false });
    const voice = q.offer('v1', 'voice', 4);
    expect(voice).toMatchObject({ admitted: true, evicted: { item: 'd2', cls: 'data' } });
    expect(q.offer('x2', 'video', 5)).toMatchObject({ admitted: true, evicted: { item: 'd1' } });
    // Only voice and video left: voice evicts video; a second video has nothing lower to evict.
    expect(q.offer('x3', 'video', 6)).toEqual({ admitted: false });
    expect(q.offer('v2', 'voice', 7)).toMatchObject({ admitted: true, evicted: { item: 'x2' } });
    expect(takeAll(q, 8)).toEqual(['v1', 'v2', 'x1']);
  });

  it('expires the entries that waited past the limit, oldest first', () => {
    const q = new PriorityQueue<string>(10, 1000, 4);
    q.offer('d1', 'data', 0);
    q.offer('d2', 'data', 50);
    q.offer('v1', 'voice', 10);
    expect(q.expire(100, 60).map((e) => e.item)).toEqual(['v1', 'd1']);
    expect(q.length).toBe(1);
  });
});

class Recorder implements SchedulerObserver {
  readonly delays: Array<[TrafficClass, number]> = [];
  readonly sheds: Array<[TrafficClass, ShedReason]> = [];
  readonly depths = new Map<TrafficClass, number>();
  started(cls: TrafficClass, queueMs: number) {
    this.delays.push([cls, queueMs]);
  }
  depth(cls: TrafficClass, depth: number) {
    this.depths.set(cls, depth);
  }
  shed(cls: TrafficClass, reason: ShedReason) {
    this.sheds.push([cls, reason]);
  }
}

/** Work that finishes when the test says so. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, work: () => opened };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('Scheduler', () => {
  it('runs at most `workers` at once, in priority order, and reports each queue delay', async () => {
    let now = 0;
    const obs = new Recorder();
    const s = new Scheduler(
      { workers: 1, queueMax: 10, agingMs: 10_000, promotedTurnEvery: 4, queueWaitMaxMs: 60_000 },
      at(() => now),
      obs,
    );
    const first = gate();
    const order: string[] = [];
    const running = s.submit('data', async () => {
      await first.work();
      order.push('d0');
    });
    const queued = [
      s.submit('data', async () => void order.push('d1')),
      s.submit('voice', async () => void order.push('v1')),
      s.submit('video', async () => void order.push('x1')),
    ];
    await settle();
    expect(s.busy).toBe(1);
    expect(obs.depths.get('data')).toBe(1);
    now = 40;
    first.open();
    await running;
    const results = await Promise.all(queued);
    expect(order).toEqual(['d0', 'v1', 'x1', 'd1']);
    expect(results.map((r) => r.queueMs)).toEqual([40, 40, 40]);
    expect(obs.delays).toEqual([
      ['data', 0],
      ['voice', 40],
      ['video', 40],
      ['data', 40],
    ]);
    expect([...obs.depths.values()]).toEqual([0, 0, 0]);
  });

  it('answers 503 overloaded to the shed: refused when full, evicted for voice, expired in the queue', async () => {
    let now = 0;
    const obs = new Recorder();
    const s = new Scheduler(
      { workers: 1, queueMax: 2, agingMs: 1000, promotedTurnEvery: 4, queueWaitMaxMs: 500 },
      at(() => now),
      obs,
    );
    const busy = gate();
    const running = s.submit('voice', busy.work);
    const d1 = s.submit('data', async () => 'd1');
    const d2 = s.submit('data', async () => 'd2');
    const refused = s.submit('data', async () => 'd3');
    const v1 = s.submit('voice', async () => 'v1');
    const shedOf = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      return isServiceError(err) ? { status: err.status, code: err.code, shed: err.details.shed } : err;
    };
    expect(await shedOf(refused)).toEqual({ status: 503, code: 'overloaded', shed: 'full' });
    expect(await shedOf(d2)).toEqual({ status: 503, code: 'overloaded', shed: 'evicted' });
    now = 600;
    s.sweep();
    expect(await shedOf(d1)).toMatchObject({ shed: 'expired' });
    expect(await shedOf(v1)).toMatchObject({ shed: 'expired' });
    busy.open();
    await running;
    expect(obs.sheds).toEqual([
      ['data', 'full'],
      ['data', 'evicted'],
      ['voice', 'expired'],
      ['data', 'expired'],
    ]);
  });

  it('passes a failure of the work itself to its caller and frees the worker', async () => {
    const s = new Scheduler(
      { workers: 1, queueMax: 4, agingMs: 100, promotedTurnEvery: 4, queueWaitMaxMs: 1000 },
      at(() => 0),
      new Recorder(),
    );
    await expect(s.submit('voice', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await s.submit('data', async () => 7)).value).toBe(7);
    await settle(); // the worker frees right after the caller's promise settles
    expect(s.busy).toBe(0);
  });
});
