// Fault settings: latency is looked up by concrete path, then route pattern, then `*`; a settings change
// re-evaluates delays in progress (a healed delay ends, a delay kept for its path goes on); bad settings are refused
// with every problem named, unknown crash points included.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../clock.ts';
import { checkFaultSettings, Faults, noFaults } from '../faults.ts';

const settings = (over: Partial<typeof noFaults>) => ({ ...structuredClone(noFaults), ...over });
const pattern = '/v1/txn/:txnId/prepare';
const never = 600_000;

describe('faults', () => {
  it('looks latency up by path, then pattern, then *', () => {
    const f = new Faults(1, systemClock());
    f.replace(
      settings({
        latency: {
          '/v1/txn/t1/prepare': { ms: 30, jitterMs: 0 },
          [pattern]: { ms: 20, jitterMs: 0 },
          '*': { ms: 10, jitterMs: 0 },
        },
      }),
    );
    expect(f.latencyFor(pattern, '/v1/txn/t1/prepare')).toBe(30);
    expect(f.latencyFor(pattern, '/v1/txn/t2/prepare')).toBe(20);
    expect(f.latencyFor('/v1/state', '/v1/state')).toBe(10);
  });

  it('ends a held delay when healed, and keeps one still set for its path', async () => {
    const f = new Faults(1, systemClock());
    f.replace(settings({ latency: { [pattern]: { ms: never, jitterMs: 0 } } }));
    const events: string[] = [];
    const t1 = f.delay(pattern, '/v1/txn/t1/prepare').then(() => events.push('t1'));
    const t2 = f.delay(pattern, '/v1/txn/t2/prepare').then(() => events.push('t2'));
    expect(f.delayed).toBe(2);
    f.replace(settings({ latency: { '/v1/txn/t1/prepare': { ms: never, jitterMs: 0 } } }));
    await t2;
    expect(events).toEqual(['t2']);
    expect(f.delayed).toBe(1);
    f.replace(settings({}));
    await t1;
    expect(events).toEqual(['t2', 't1']);
    expect(f.delayed).toBe(0);
  });

  it('refuses unknown crash points, bad latency keys and values, naming each problem', () => {
    expect(() =>
      checkFaultSettings({ crashPoints: ['after-lunch'], latency: { state: { ms: 1 } }, abortProbability: 3 }, 'x'),
    ).toThrow(/abortProbability.*crashPoints.*latency key "state"/);
    expect(checkFaultSettings({ crashPoints: ['after-precommit-logged', 'participant-after-precommit'] }, 'x')).toEqual(
      settings({ crashPoints: ['after-precommit-logged', 'participant-after-precommit'] }),
    );
  });
});
