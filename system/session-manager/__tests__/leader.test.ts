// Proves the leader's safety rules with a fake lease store and a hand-driven clock: it acts only after takeover,
// steps down at once when a renewal fails, and stops acting when its lease may have lapsed by its own monotonic
// clock, even if no renewal has told it so (the paused-leader case).
import { describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../common/clock.ts';
import { createLogger } from '../../common/log.ts';
import { LeaderElector, type LeaseStore } from '../leader.ts';

function fakeClock(): Clock & { advance(ms: number): void } {
  let t = 1000;
  return {
    ...systemClock(),
    wallMs: () => t,
    monotonicMs: () => t,
    setOffsetMs: () => {},
    offsetMs: () => 0,
    advance(ms) {
      t += ms;
    },
  };
}

function fakeStore(): LeaseStore & { holder?: string; epoch: number; renewOk: boolean } {
  return {
    epoch: 0,
    renewOk: true,
    async acquire(node) {
      if (this.holder) return { epoch: 0, holder: this.holder };
      this.epoch++;
      this.holder = `${node}|${this.epoch}`;
      return { epoch: this.epoch, holder: this.holder };
    },
    async renew() {
      return this.renewOk;
    },
    async release() {
      this.holder = undefined;
      return true;
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 5));

function elector(store: LeaseStore, clock: Clock, events: string[], keepLeading = false) {
  const lines: string[] = [];
  const logger = createLogger(
    'sm',
    'sm-1',
    () => clock.wallMs(),
    'error',
    (l) => lines.push(l),
  );
  const opts = { node: 'sm-1', leaseTtlMs: 3000, driftMargin: 0.1, ...(keepLeading ? { keepLeading } : {}) };
  return new LeaderElector(store, opts, clock, logger, {
    onElected: async (e) => void events.push(`elected ${e}`),
    onDemoted: (e, why) => void events.push(`demoted ${e}: ${why}`),
  });
}

/** An elector that has started and won the lease (epoch 1), with its clock, store and events. */
async function leading() {
  const clock = fakeClock();
  const store = fakeStore();
  const events: string[] = [];
  const e = elector(store, clock, events);
  e.start();
  await settle();
  return { clock, store, events, e };
}

const tick = (e: LeaderElector) => (e as unknown as { tick(): Promise<void> }).tick();

describe('LeaderElector', () => {
  it("a follower tries again as the holder's lease lapses, not a period (ttl/3) later", async () => {
    const clock = fakeClock();
    const timeouts: Array<{ ms: number; fn: () => void }> = [];
    clock.setTimeout = ((fn: () => void, ms: number) => {
      timeouts.push({ ms, fn });
      return timeouts.length;
    }) as unknown as Clock['setTimeout'];
    clock.clearTimeout = () => {};
    const store = fakeStore();
    store.holder = 'sm-2|1';
    store.epoch = 1;
    const held = store.acquire.bind(store);
    let left = 400;
    store.acquire = async (node, ttl) => ({
      ...(await held(node, ttl)),
      ...(store.holder ? { remainingMs: left } : {}),
    });
    const events: string[] = [];
    const e = elector(store, clock, events);
    e.start();
    await settle();
    // The period is 1000 ms (ttl 3000 / 3); the lease has 400 left: one more try 401 ms from now.
    expect(timeouts.map((t) => t.ms)).toEqual([401]);
    store.holder = undefined; // it lapsed
    timeouts[0]!.fn();
    await settle();
    expect(events).toEqual(['elected 2']);
    await e.stop();

    // A lease with longer left than a period: the periodic try comes first, no extra one.
    timeouts.length = 0;
    const other = elector(store, clock, []);
    store.holder = 'sm-2|3';
    left = 1500;
    other.start();
    await settle();
    expect(timeouts).toEqual([]);
    await other.stop();
  });

  it('leads with a fresh epoch once takeover finished', async () => {
    const { store, events, e } = await leading();
    expect(events).toEqual(['elected 1']);
    expect(e.currentEpoch()).toBe(1);
    await e.stop();
    expect(store.holder).toBeUndefined();
  });

  it('stops acting when the lease may have lapsed by the monotonic clock (a pause)', async () => {
    const { clock, events, e } = await leading();
    clock.advance(2699); // within ttl * (1 - margin) = 2700
    expect(e.currentEpoch()).toBe(1);
    clock.advance(2);
    expect(e.currentEpoch()).toBeUndefined();
    expect(events.at(-1)).toMatch(/demoted 1: lease may have lapsed/);
    await e.stop();
  });

  it('reports follower once the lease may have lapsed, while a renewal has not answered', async () => {
    const { clock, store, events, e } = await leading();
    expect(e.status).toMatchObject({ role: 'leader', epoch: 1 });
    store.renew = () => new Promise<boolean>(() => {}); // never answers
    void tick(e);
    clock.advance(2701);
    expect(e.status).toMatchObject({ role: 'follower', ready: false });
    expect(events.at(-1)).toMatch(/demoted 1: lease may have lapsed/);
    await e.stop();
  });

  it('steps down at once when a renewal is refused, then gives up the lease if it still holds it', async () => {
    const { store, events, e } = await leading();
    store.renewOk = false;
    const released: string[] = [];
    const release = store.release.bind(store);
    store.release = async (value) => {
      released.push(value);
      return release(value);
    };
    await tick(e);
    expect(e.currentEpoch()).toBeUndefined();
    expect(events.at(-1)).toMatch(/demoted 1/);
    expect(released).toEqual(['sm-1|1']);
    expect(store.holder).toBeUndefined();
    await e.stop();
  });

  it('under the planted bug stale-leader, a refused renewal neither steps down nor gives the lease up', async () => {
    const clock = fakeClock();
    const store = fakeStore();
    const events: string[] = [];
    const e = elector(store, clock, events, true);
    e.start();
    await settle();
    store.renewOk = false;
    await tick(e);
    expect(events).toEqual(['elected 1']);
    expect(store.holder).toBe('sm-1|1');
    await e.stop();
  });
});
