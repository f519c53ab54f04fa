// Per-key serialization: work for one key runs one at a time in arrival order, other keys are not held up, and
// finished keys are forgotten (the map stays bounded by what is in flight).
import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../keyed-mutex.ts';

describe('KeyedMutex', () => {
  it('runs work for one key in arrival order, one at a time, even when one throws', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const first = mutex.run('t', async () => {
      log.push('first start');
      await gate;
      log.push('first end');
      throw new Error('boom');
    });
    const second = mutex.run('t', async () => {
      log.push('second');
    });
    const other = mutex.run('u', async () => {
      log.push('other key');
    });
    await other;
    expect(log).toEqual(['first start', 'other key']);
    release();
    await expect(first).rejects.toThrow('boom');
    await second;
    expect(log).toEqual(['first start', 'other key', 'first end', 'second']);
    expect(mutex.size).toBe(0);
  });
});
