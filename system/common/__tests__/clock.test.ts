// The real clock's timers: a timeout fires once and can be cancelled, an interval repeats until cleared, sleep ends
// early (and at once if already aborted) when its signal aborts, and yieldNow waits for the next turn of the event
// loop, as setImmediate does, not just for the promise reactions queued.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../clock.ts';

const clock = systemClock();

describe('systemClock timers', () => {
  it('fires a timeout once, and not at all once cleared', async () => {
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('kept'), 5);
    const cancelled = clock.setTimeout(() => fired.push('cleared'), 5);
    clock.clearTimeout(cancelled);
    clock.clearTimeout(undefined);
    await clock.sleep(30);
    expect(fired).toEqual(['kept']);
  });

  it('repeats an interval until cleared', async () => {
    let ticks = 0;
    const timer = clock.setInterval(() => ticks++, 5, { unref: true });
    await clock.sleep(40);
    clock.clearInterval(timer);
    const seen = ticks;
    await clock.sleep(20);
    expect(seen).toBeGreaterThanOrEqual(2);
    expect(ticks).toBe(seen);
  });

  it('ends a sleep when its signal aborts, and at once when it already has', async () => {
    const stop = new AbortController();
    const started = clock.monotonicMs();
    setTimeout(() => stop.abort(), 10);
    await clock.sleep(60_000, stop.signal);
    await clock.sleep(60_000, stop.signal);
    expect(clock.monotonicMs() - started).toBeLessThan(5_000);
  });

  it('yieldNow waits for a later turn of the event loop, after every promise reaction queued before it', async () => {
    const order: string[] = [];
    const yielded = clock.yieldNow().then(() => order.push('yield'));
    void Promise.resolve()
      .then(() => order.push('reaction'))
      .then(() => order.push('chained reaction'));
    order.push('sync');
    await yielded;
    expect(order).toEqual(['sync', 'reaction', 'chained reaction', 'yield']);
  });

  it('shifts wall time by the offset and leaves monotonic time alone', () => {
    const c = systemClock();
    const before = c.wallMs();
    c.setOffsetMs(60_000);
    expect(c.wallMs() - before).toBeGreaterThanOrEqual(60_000);
    expect(c.offsetMs()).toBe(60_000);
  });
});
