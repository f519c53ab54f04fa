// The edge gateway process: the public API. Validates, normalises, signs and forwards to the leader. This file only
// reads the configuration and makes the real peers; build.ts assembles the gateway on them.
import type { Env } from '../common/config.ts';
import { Peer, transports } from '../common/peer.ts';
import { runService } from '../common/service.ts';
import { buildGateway, type GatewayConfig } from './build.ts';

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
  const parts = buildGateway({
    config: readGatewayConfig(env),
    managers,
    clock,
    random: rt.random,
    metrics: rt.metrics,
  });
  return {
    ...parts,
    async close() {
      await parts.close();
      for (const peer of managers.values()) peer.close();
    },
  };
});

function readGatewayConfig(env: Env): GatewayConfig {
  return {
    forwarder: {
      attemptTimeoutMs: env.int('RIG_ATTEMPT_TIMEOUT_MS', 5000, 10, 600_000),
      requestDeadlineMs: env.int('RIG_REQUEST_DEADLINE_MS', 15_000, 10, 600_000),
      attemptsMax: env.int('RIG_ATTEMPTS_MAX', 20, 1, 100),
      backoffBaseMs: 25,
      backoffMaxMs: 400,
    },
    discoveryIntervalMs: env.int('RIG_DISCOVERY_INTERVAL_MS', 500, 50, 60_000),
  };
}
