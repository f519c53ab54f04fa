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

function elector(store: LeaseStore, clock: Clock, events: string[]) {
  const lines: string[] = [];
  const logger = createLogger(
    'sm',
    'sm-1',
    () => clock.wallMs(),
    'error',
    (l) => lines.push(l),
  );
  return new LeaderElector(store, { node: 'sm-1', leaseTtlMs: 3000, driftMargin: 0.1 }, clock, logger, {
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

  it('steps down at once when a renewal is refused', async () => {
    const { store, events, e } = await leading();
    store.renewOk = false;
    await tick(e);
    expect(e.currentEpoch()).toBeUndefined();
    expect(events.at(-1)).toMatch(/demoted 1/);
    await e.stop();
  });
});
