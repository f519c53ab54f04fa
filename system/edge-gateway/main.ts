// The edge gateway process: the public API. Validates, normalises, signs and forwards to the leader.
import { Counter } from 'prom-client';
import { Peer, transports } from '../common/peer.ts';
import { runService } from '../common/service.ts';
import { Forwarder } from './forwarder.ts';
import { gatewayRoutes } from './routes.ts';

await runService('edge-gateway', async (rt) => {
  const { env, clock } = rt;
  const transport = env.oneOf('RIG_PEER_TRANSPORT', transports);
  const managers = new Map(
    [...env.urlMap('RIG_SESSION_MANAGERS')].map(([name, url]) => [
      name,
      new Peer(name, url, rt.ring, clock, { transport, random: rt.random }),
    ]),
  );
  if (managers.size === 0) throw new Error('RIG_SESSION_MANAGERS names no session manager');
  const forwarder = new Forwarder(
    managers,
    {
      attemptTimeoutMs: env.int('RIG_ATTEMPT_TIMEOUT_MS', 5000, 10, 600_000),
      requestDeadlineMs: env.int('RIG_REQUEST_DEADLINE_MS', 15_000, 10, 600_000),
      attemptsMax: env.int('RIG_ATTEMPTS_MAX', 20, 1, 100),
      backoffBaseMs: 25,
      backoffMaxMs: 400,
    },
    clock,
  );
  const outcomes = new Counter({
    name: 'rig_gateway_responses_total',
    help: 'Gateway answers to session creation, by status',
    labelNames: ['status'] as const,
    registers: [rt.metrics.registry],
  });
  const discover = leaderDiscovery(managers, forwarder);
  const discovery = clock.setInterval(() => void discover(), env.int('RIG_DISCOVERY_INTERVAL_MS', 500, 50, 60_000));
  return {
    routes: gatewayRoutes(forwarder, { outcomes, rejected: rt.metrics.rejected }, rt.random),
    health: () => ({ leader: forwarder.leaderHint ?? null }),
    async close() {
      clock.clearInterval(discovery);
      for (const peer of managers.values()) peer.close();
    },
  };
});

/**
 * Leader discovery: ask every manager's /healthz now and then, so requests go straight to the leader, and a new
 * leader is found while requests still wait on an old one that stopped answering (forwarder.ts). A pass still
 * running when the next is due is not doubled.
 */
function leaderDiscovery(managers: ReadonlyMap<string, Peer>, forwarder: Forwarder): () => Promise<void> {
  let discovering = false;
  return async () => {
    if (discovering) return;
    discovering = true;
    try {
      const found = await Promise.all(
        [...managers].map(async ([name, peer]) => {
          const r = await peer
            .call<{ role?: string; ready?: boolean; epoch?: number }>('GET', '/healthz', undefined, { timeoutMs: 500 })
            .catch(() => undefined);
          const { role, ready, epoch } = r?.body ?? {};
          return role === 'leader' && ready && typeof epoch === 'number' ? { name, epoch } : undefined;
        }),
      );
      let best: { name: string; epoch: number } | undefined;
      for (const f of found) if (f && (!best || f.epoch > best.epoch)) best = f;
      if (best) forwarder.leaderFound(best.name, best.epoch);
    } finally {
      discovering = false;
    }
  };
}
