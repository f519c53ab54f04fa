import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../system/common/clock.ts';
import { cryptoRandom } from '../../../system/common/random.ts';
import { installGuard } from '../guard.ts';

let uninstall: (() => unknown) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
});

describe('determinism guard', () => {
  it('refuses real time, timers and randomness to system code, and records each refusal', () => {
    uninstall = installGuard();
    const clock = systemClock();
    expect(() => clock.wallMs()).toThrow(/determinism guard: Date.now\(\) called by simulated code .*clock\.ts/);
    expect(() => clock.monotonicMs()).toThrow(/performance.now\(\)/);
    expect(() => clock.setTimeout(() => {}, 1)).toThrow(/setTimeout\(\)/);
    expect(() => cryptoRandom.uuid()).toThrow(/crypto.randomUUID\(\)/);
    const stop = uninstall;
    uninstall = undefined;
    const violations = stop() as Array<{ what: string }>;
    expect(violations.map((v) => v.what)).toEqual([
      'Date.now()',
      'performance.now()',
      'setTimeout()',
      'crypto.randomUUID()',
    ]);
  });

  it('lets code outside the simulation (here, the test itself) use the real functions', () => {
    uninstall = installGuard();
    expect(Date.now()).toBeGreaterThan(0);
    expect(new Date().toISOString()).toMatch(/^20/);
    expect(randomUUID()).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.random()).toBeLessThan(1);
  });

  it('puts every real function back when removed', () => {
    const realNow = Date.now;
    const RealDate = Date;
    const stop = installGuard();
    expect(Date.now).not.toBe(realNow);
    stop();
    expect(Date.now).toBe(realNow);
    expect(Date).toBe(RealDate);
    expect(() => systemClock().wallMs()).not.toThrow();
  });

  it('allows one simulation per thread', () => {
    uninstall = installGuard();
    expect(() => installGuard()).toThrow(/already installed/);
  });
});
