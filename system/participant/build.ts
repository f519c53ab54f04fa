// The participant service assembled from its ports: the core (fence, Participant, decision queries, routes) over
// storage, peers, clock and faults that the caller made. run.ts passes the real adapters (Postgres, HTTP peers);
// a simulation can pass models of them. Nothing here opens a connection or reads the environment.
import type { Registry } from 'prom-client';
import type { Clock } from '../common/clock.ts';
import type { Faults } from '../common/faults.ts';
import type { Logger } from '../common/log.ts';
import type { PeerPort } from '../common/peer-port.ts';
import type { ServiceParts } from '../common/service.ts';
import type { ParticipantConfig } from './config.ts';
import { DecisionQueries, defaultDecisionQueryOptions } from './decision-query.ts';
import type { DomainRules } from './domain.ts';
import { Fence } from './fence.ts';
import { createParticipantMetrics } from './metrics.ts';
import { Participant } from './participant.ts';
import type { FenceStore, LockWaits, ParticipantStore } from './ports.ts';
import { participantRoutes } from './routes.ts';

export interface ParticipantPorts {
  config: Pick<
    ParticipantConfig,
    'lockTimeoutMs' | 'decisionQueryAfterMs' | 'precommitTimeoutMs' | 'commitOnPrecommitTimeout'
  >;
  /** Requests admitted at once (waiting for locks included); more get 503 overloaded. */
  inFlightMax: number;
  store: ParticipantStore;
  waits: LockWaits;
  fenceStore: FenceStore;
  domain: DomainRules;
  clock: Clock;
  logger: Logger;
  /** The process's registry: the participant's own series are added to it. */
  registry: Registry;
  faults: Faults;
  /** Session managers to ask for the decision on a transaction prepared too long, by node name. */
  managers: ReadonlyMap<string, PeerPort>;
}

/**
 * Builds the participant and starts its decision queries. The returned close() stops them; the adapters the
 * caller made (connections, peers, the wait reader) are the caller's to close.
 */
export async function buildParticipant(ports: ParticipantPorts): Promise<ServiceParts> {
  const { config, fenceStore, logger } = ports;
  const fence = new Fence(await fenceStore.highestToken(), (token) => fenceStore.raiseToken(token));
  const metrics = createParticipantMetrics(ports.registry);
  const participant = new Participant({
    store: ports.store,
    domain: ports.domain,
    fence,
    logger,
    metrics,
    faults: ports.faults,
    waits: ports.waits,
    inFlightMax: ports.inFlightMax,
  });
  const queries = new DecisionQueries(ports.store, participant, ports.managers, logger, metrics, ports.clock, {
    ...defaultDecisionQueryOptions,
    queryAfterMs: config.decisionQueryAfterMs,
    precommitTimeoutMs: config.precommitTimeoutMs,
    commitOnPrecommitTimeout: config.commitOnPrecommitTimeout,
  });
  queries.start();
  logger.info('participant ready', { highestToken: fence.highest, lockTimeoutMs: config.lockTimeoutMs });
  return {
    routes: participantRoutes(participant),
    health: () => ({ highestToken: fence.highest }),
    close: () => queries.stop(),
  };
}
