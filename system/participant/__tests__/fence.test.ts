// Fencing in one process: a lower token is refused before its action runs, a raise is persisted before anything
// acts on it, and a raise waits for actions still running under the old token, so none lands after it.
import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../common/errors.ts';
import { Fence } from '../fence.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('Fence', () => {
  it('refuses a lower token without running the action', async () => {
    const fence = new Fence(5, async (t) => t);
    let ran = false;
    const refused = fence.run(4, async () => {
      ran = true;
    });
    await expect(refused).rejects.toMatchObject({ code: 'stale_token', details: { highest: 5 } });
    expect(ran).toBe(false);
  });

  it('persists a raise before running the action that carried it', async () => {
    const log: string[] = [];
    const fence = new Fence(1, async (t) => {
      log.push(`persist ${t}`);
      return t;
    });
    await fence.run(3, async () => {
      log.push('action');
    });
    expect(log).toEqual(['persist 3', 'action']);
    expect(fence.highest).toBe(3);
    await fence.run(3, async () => {
      log.push('same token');
    });
    expect(log).toEqual(['persist 3', 'action', 'same token']);
  });

  it('waits for actions under the old token before raising, then refuses the old token', async () => {
    const log: string[] = [];
    const fence = new Fence(1, async (t) => {
      log.push(`persist ${t}`);
      return t;
    });
    const slow = deferred();
    const old = fence.run(1, async () => {
      await slow.promise;
      log.push('old done');
    });
    const raised = fence.run(2, async () => {
      log.push('new action');
    });
    const late = fence.run(1, async () => {
      log.push('late old action');
    });
    await Promise.resolve();
    expect(log).toEqual([]);
    slow.resolve();
    await Promise.all([old, raised]);
    await expect(late).rejects.toBeInstanceOf(ServiceError);
    expect(log).toEqual(['old done', 'persist 2', 'new action']);
  });

  it('keeps the old token when persisting fails, and reports the failure to the raiser', async () => {
    let failing = true;
    const fence = new Fence(1, async (t) => {
      if (failing) throw new Error('database down');
      return t;
    });
    await expect(fence.run(2, async () => {})).rejects.toThrow('database down');
    expect(fence.highest).toBe(1);
    failing = false;
    await fence.run(2, async () => {});
    expect(fence.highest).toBe(2);
  });
});
