// The edge gateway process: the public API. Validates, normalises, signs and forwards to the leader. This file only
// reads the configuration and makes the real peers; build.ts assembles the gateway on them.
import { Peer, transports } from '../common/peer.ts';
import { runService } from '../common/service.ts';
import { buildGateway, readGatewayConfig } from './build.ts';

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
