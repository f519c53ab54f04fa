import { describe, expect, it } from 'vitest';
import { Kernel, simEpochMs } from '../kernel.ts';

/** Runs `setup` on a fresh kernel of `seed` and returns the order its events ran in, with the trace hash. */
async function order(seed: number, setup: (k: Kernel, log: string[]) => void) {
  const k = new Kernel(seed);
  const log: string[] = [];
  setup(k, log);
  await k.run();
  return { log, hash: k.traceHash() };
}

describe('Kernel', () => {
  it('runs events in virtual time order and advances the clocks with them', async () => {
    const { log } = await order(1, (k, log) => {
      const c = k.clock('a');
      c.setTimeout(() => log.push(`30@${c.monotonicMs()}`), 30);
      c.setTimeout(() => log.push(`10@${c.monotonicMs()}/${c.wallMs() - simEpochMs}`), 10);
      c.setTimeout(() => log.push(`20@${c.monotonicMs()}`), 20);
    });
    expect(log).toEqual(['10@10/10', '20@20', '30@30']);
  });

  it('orders simultaneous events by the seed: the same seed the same order, some seed another', async () => {
    const setup = (k: Kernel, log: string[]) => {
      for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) k.clock(name).setTimeout(() => log.push(name), 5);
    };
    const first = await order(7, setup);
    expect((await order(7, setup)).log).toEqual(first.log);
    expect((await order(7, setup)).hash).toBe(first.hash);
    const others = await Promise.all([8, 9, 10, 11].map((s) => order(s, setup)));
    expect(others.some((o) => o.log.join() !== first.log.join())).toBe(true);
    expect(others.every((o) => o.hash !== first.hash)).toBe(true);
  });

  it('lets every promise reaction of an event run before the next event', async () => {
    const { log } = await order(3, (k, log) => {
      const c = k.clock('a');
      c.setTimeout(async () => {
        await Promise.resolve();
        await Promise.resolve();
        log.push('chain done');
      }, 1);
      c.setTimeout(() => log.push('next event'), 1);
      c.setTimeout(() => log.push('later event'), 2);
    });
    expect(log.indexOf('chain done')).toBeLessThan(log.indexOf('later event'));
  });

  it('sleep, intervals and clearing follow virtual time', async () => {
    const k = new Kernel(1);
    const c = k.clock('a');
    const ticks: number[] = [];
    const every = c.setInterval(() => ticks.push(c.monotonicMs()), 100);
    let woke = -1;
    void c.sleep(250).then(() => {
      woke = c.monotonicMs();
      c.clearInterval(every);
    });
    const never = c.setTimeout(() => ticks.push(-1), 1000);
    c.clearTimeout(never);
    await k.run();
    expect(ticks).toEqual([100, 200]);
    expect(woke).toBe(250);
    expect(k.nowMs()).toBe(250);
  });

  it('discards every event of a killed node, and the restarted node starts afresh', async () => {
    const k = new Kernel(1);
    const log: string[] = [];
    const a = k.clock('a');
    a.setTimeout(() => log.push('before kill'), 10);
    a.setTimeout(() => log.push('after kill'), 30);
    k.clock('b').setTimeout(() => k.kill('a'), 20);
    k.clock('b').setTimeout(() => {
      k.restart('a');
      a.setTimeout(() => log.push('new generation'), 10);
    }, 40);
    await k.run();
    expect(log).toEqual(['before kill', 'new generation']);
    expect(k.eventsDiscarded).toBe(1);
  });

  it('stops at untilMs with time standing there, and resumes from it', async () => {
    const k = new Kernel(1);
    const log: number[] = [];
    const c = k.clock('a');
    for (const t of [10, 20, 30]) c.setTimeout(() => log.push(t), t);
    await k.run({ untilMs: 25 });
    expect(log).toEqual([10, 20]);
    expect(k.nowMs()).toBe(25);
    await k.run();
    expect(log).toEqual([10, 20, 30]);
  });

  it("holds a paused node's events while time goes on, and runs them in order when it resumes", async () => {
    const k = new Kernel(5);
    const log: string[] = [];
    const a = k.clock('a');
    for (const t of [10, 20, 30]) a.setTimeout(() => log.push(`a${t}@${Math.round(a.monotonicMs())}`), t);
    const b = k.clock('b');
    b.setTimeout(() => k.pause('a'), 5);
    b.setTimeout(() => log.push(`b@${b.monotonicMs()}`), 25);
    b.setTimeout(() => k.resume('a'), 40);
    await k.run();
    expect(log).toEqual(['b@25', 'a10@40', 'a20@40', 'a30@40']);
  });
});
