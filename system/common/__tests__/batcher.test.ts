import { describe, expect, it, vi } from 'vitest';
import { Batcher } from '../batcher.ts';
import { systemClock } from '../clock.ts';

const clock = systemClock();

/** A write that records each batch and waits until released, so a test decides when a batch ends. */
function gatedWrite() {
  const batches: number[][] = [];
  const gates: Array<() => void> = [];
  const write = async (items: number[]) => {
    batches.push(items);
    await new Promise<void>((resolve) => gates.push(resolve));
    return items.map((i) => i * 10);
  };
  const releaseNext = () => gates.shift()!();
  return { batches, write, releaseNext, pending: () => gates.length };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('Batcher', () => {
  it('writes the calls of one turn together and gives each its own result', async () => {
    const w = gatedWrite();
    const b = new Batcher(w.write, { maxBatch: 10, maxInFlight: 1 }, clock);
    const results = Promise.all([1, 2, 3].map((i) => b.submit(i)));
    await turn();
    expect(w.batches).toEqual([[1, 2, 3]]);
    w.releaseNext();
    expect(await results).toEqual([10, 20, 30]);
  });

  it('with a linger, gathers the calls of several turns into one batch', async () => {
    const w = gatedWrite();
    const b = new Batcher(w.write, { maxBatch: 10, maxInFlight: 1, lingerMs: 40 }, clock);
    const first = b.submit(1);
    await turn();
    const second = b.submit(2);
    await turn();
    expect(w.batches).toEqual([]);
    await vi.waitFor(() => expect(w.batches).toEqual([[1, 2]]));
    w.releaseNext();
    expect(await Promise.all([first, second])).toEqual([10, 20]);
  });

  it('holds later calls while a batch is in flight and writes them together next', async () => {
    const w = gatedWrite();
    const b = new Batcher(w.write, { maxBatch: 10, maxInFlight: 1 }, clock);
    const first = b.submit(1);
    await turn();
    const later = [b.submit(2), b.submit(3)];
    await turn();
    await turn();
    expect(w.batches).toEqual([[1]]);
    expect(b.waiting).toBe(2);
    w.releaseNext();
    expect(await first).toBe(10);
    await turn();
    await turn();
    expect(w.batches).toEqual([[1], [2, 3]]);
    w.releaseNext();
    expect(await Promise.all(later)).toEqual([20, 30]);
  });

  it('keeps to maxBatch and maxInFlight', async () => {
    const w = gatedWrite();
    const b = new Batcher(w.write, { maxBatch: 2, maxInFlight: 2 }, clock);
    const all = Promise.all([1, 2, 3, 4, 5].map((i) => b.submit(i)));
    await turn();
    expect(w.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    w.releaseNext();
    await turn();
    await turn();
    expect(w.batches).toEqual([[1, 2], [3, 4], [5]]);
    w.releaseNext();
    w.releaseNext();
    expect(await all).toEqual([10, 20, 30, 40, 50]);
  });

  it('never puts two calls with one key in a batch, and keeps their order', async () => {
    const batches: string[][] = [];
    const b = new Batcher(
      async (items: string[]) => {
        batches.push(items);
        return items;
      },
      { maxBatch: 10, maxInFlight: 1, key: (s) => s.split(':')[0]! },
      clock,
    );
    await Promise.all(['a:1', 'b:1', 'a:2', 'c:1', 'a:3', 'b:2'].map((s) => b.submit(s)));
    expect(batches).toEqual([['a:1', 'b:1', 'c:1'], ['a:2', 'b:2'], ['a:3']]);
  });

  it('with two batches in flight, writes a key only after the batch holding it has ended', async () => {
    const batches: string[][] = [];
    const gates: Array<() => void> = [];
    const b = new Batcher(
      async (items: string[]) => {
        batches.push(items);
        await new Promise<void>((r) => gates.push(r));
        return items;
      },
      { maxBatch: 2, maxInFlight: 2, key: (s) => s.split(':')[0]! },
      clock,
    );
    const all = Promise.all(['a:1', 'b:1', 'a:2', 'c:1'].map((s) => b.submit(s)));
    await turn();
    // The second batch in flight may not hold a:2 while a:1 is being written.
    expect(batches).toEqual([['a:1', 'b:1'], ['c:1']]);
    gates.shift()!();
    await vi.waitFor(() => expect(batches).toEqual([['a:1', 'b:1'], ['c:1'], ['a:2']]));
    for (const release of gates.splice(0)) release();
    await vi.waitFor(() => expect(gates.length).toBe(0));
    expect(await all).toEqual(['a:1', 'b:1', 'a:2', 'c:1']);
  });

  it('fails every call of a failed batch, and only those', async () => {
    let calls = 0;
    const b = new Batcher(
      async (items: number[]) => {
        calls++;
        if (calls === 1) throw new Error('connection reset');
        return items;
      },
      { maxBatch: 10, maxInFlight: 1 },
      clock,
    );
    const failed = [b.submit(1), b.submit(2)].map((p) => p.catch((e: Error) => e.message));
    await turn();
    const next = b.submit(3);
    expect(await Promise.all(failed)).toEqual(['connection reset', 'connection reset']);
    expect(await next).toBe(3);
  });

  it('fails a batch whose write answers for the wrong number of items', async () => {
    const b = new Batcher(async (items: number[]) => items.slice(1), { maxBatch: 10, maxInFlight: 1 }, clock);
    const r = [b.submit(1), b.submit(2)].map((p) => p.catch((e: Error) => e.message));
    expect(await Promise.all(r)).toEqual([
      'Batcher: the write returned 1 results for 2 items',
      'Batcher: the write returned 1 results for 2 items',
    ]);
  });

  it('refuses a batch size or in-flight bound below 1', () => {
    expect(() => new Batcher(async (i: number[]) => i, { maxBatch: 0, maxInFlight: 1 }, clock)).toThrow(/>= 1/);
  });
});
