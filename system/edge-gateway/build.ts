// The edge gateway assembled from its ports: the forwarder, leader discovery and the public routes, over the session
// managers as peers, a clock, a random source and the process's metrics. main.ts passes the real adapters (HTTP or
// channel peers); a simulation can pass its own network. Nothing here opens a connection or reads the environment.
import { Counter } from 'prom-client';
import type { Clock } from '../common/clock.ts';
import type { Env } from '../common/config.ts';
import type { HttpMetrics } from '../common/metrics.ts';
import type { PeerPort } from '../common/peer-port.ts';
import type { Random } from '../common/random.ts';
import type { ServiceParts } from '../common/service.ts';
import { leaderDiscovery } from './discovery.ts';
import { Forwarder, type ForwarderConfig } from './forwarder.ts';
import { gatewayRoutes } from './routes.ts';

export interface GatewayConfig {
  forwarder: ForwarderConfig;
  /** How often every manager is asked who leads. */
  discoveryIntervalMs: number;
}

export interface GatewayPorts {
  config: GatewayConfig;
  /** The session managers, by node name (at least one). */
  managers: ReadonlyMap<string, PeerPort>;
  clock: Clock;
  /** Idempotency keys of requests that bring none. */
  random: Random;
  /** The process's metrics: the gateway's own series are added to its registry; refusals count as rejected. */
  metrics: Pick<HttpMetrics, 'registry' | 'rejected'>;
}

/**
 * Builds the gateway and starts leader discovery. The returned close() stops discovery; the peers the caller made
 * are the caller's to close.
 */
export function buildGateway(ports: GatewayPorts): ServiceParts {
  const { config, managers, clock, metrics } = ports;
  if (managers.size === 0) throw new Error('the gateway needs at least one session manager');
  const forwarder = new Forwarder(managers, config.forwarder, clock);
  const outcomes = new Counter({
    name: 'rig_gateway_responses_total',
    help: 'Gateway answers to session creation, by status',
    labelNames: ['status'] as const,
    registers: [metrics.registry],
  });
  const discover = leaderDiscovery(managers, forwarder);
  const discovery = clock.setInterval(() => void discover(), config.discoveryIntervalMs);
  return {
    routes: gatewayRoutes(forwarder, { outcomes, rejected: metrics.rejected }, ports.random),
    health: () => ({ leader: forwarder.leaderHint ?? null }),
    async close() {
      clock.clearInterval(discovery);
    },
  };
}

/** The gateway's settings from its environment (RIG_*). */
export function readGatewayConfig(env: Env): GatewayConfig {
  return {
    forwarder: {
      attemptTimeoutMs: env.int('RIG_ATTEMPT_TIMEOUT_MS', 5000, 10, 600_000),
      requestDeadlineMs: env.int('RIG_REQUEST_DEADLINE_MS', 15_000, 10, 600_000),
      attemptsMax: env.int('RIG_ATTEMPTS_MAX', 20, 1, 100),
      backoffBaseMs: 25,
      backoffMaxMs: 400,
    },
    discoveryIntervalMs: env.int('RIG_DISCOVERY_INTERVAL_MS', 100, 20, 60_000),
  };
}
