// Proves the gateway can be assembled and driven with no socket and no real timer, as a simulation will drive it:
// buildGateway over fake managers and a clock that hands its interval to the test. One discovery pass finds the
// ready leader with the highest epoch (a deposed leader still claiming an older epoch is passed over), /healthz
// names it, a session request is forwarded there alone, and close() clears the discovery interval.
import { describe, expect, it } from 'vitest';
import { type Clock, systemClock, type TimerHandle } from '../../common/clock.ts';
import { createHttpMetrics } from '../../common/metrics.ts';
import type { CallOptions, PeerPort, PeerReply } from '../../common/peer-port.ts';
import { seededRandom } from '../../common/random.ts';
import { buildGateway } from '../build.ts';

const forwarderConfig = {
  attemptTimeoutMs: 1000,
  requestDeadlineMs: 2000,
  attemptsMax: 3,
  backoffBaseMs: 1,
  backoffMaxMs: 2,
};

/** A manager answering /healthz with `health`; every other call is recorded as `<name> <method> <path>`. */
function manager(name: string, health: Record<string, unknown>, calls: string[]): PeerPort {
  return {
    async call<T>(method: string, path: string, _body: unknown, _opts: CallOptions): Promise<PeerReply<T>> {
      if (path === '/healthz') return { status: 200, body: health as T };
      calls.push(`${name} ${method} ${path}`);
      return { status: 201, body: { outcome: 'committed' } as T };
    },
  };
}

/** The system clock, except that its one interval is handed to the test instead of being set. */
function steppedClock() {
  const state: { tick?: () => void; cleared: boolean } = { cleared: false };
  const handle = {} as TimerHandle;
  const clock: Clock = {
    ...systemClock(),
    setInterval: (fn) => {
      state.tick = fn;
      return handle;
    },
    clearInterval: (timer) => {
      if (timer === handle) state.cleared = true;
    },
  };
  return { clock, state };
}

describe('buildGateway', () => {
  it('finds the leader by discovery, forwards to it, and stops discovery on close', async () => {
    const calls: string[] = [];
    const managers = new Map([
      ['sm-1', manager('sm-1', { role: 'leader', ready: true, epoch: 3 }, calls)],
      ['sm-2', manager('sm-2', { role: 'leader', ready: true, epoch: 4 }, calls)],
      ['sm-3', manager('sm-3', { role: 'follower', ready: true, epoch: 4 }, calls)],
    ]);
    const { clock, state } = steppedClock();
    const parts = buildGateway({
      config: { forwarder: forwarderConfig, discoveryIntervalMs: 500 },
      managers,
      clock,
      random: seededRandom(1),
      metrics: createHttpMetrics('edge-gateway', 'test'),
    });
    expect(await parts.health?.()).toEqual({ leader: null });

    state.tick?.();
    await clock.yieldNow();
    expect(await parts.health?.()).toEqual({ leader: 'sm-2' });

    const create = parts.routes.find((r) => r.method === 'POST' && r.pattern === '/v1/sessions')!;
    const request = { subscriberId: '001010000000001', trafficClass: 'voice', protocol: '2pc', cells: ['cell-7'] };
    const reply = await create.handler({
      method: 'POST',
      path: '/v1/sessions',
      params: {},
      query: new URLSearchParams(),
      headers: {},
      body: request,
    });
    expect(reply.status).toBe(201);
    expect(calls).toEqual(['sm-2 POST /v1/sessions']);

    await parts.close();
    expect(state.cleared).toBe(true);
  });
});
