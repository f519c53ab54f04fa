// The session manager assembled from its ports: the elector, relay, coordinator, delivery, finisher, scheduler and
// deadlock detector over the lease, DSM, stream, transaction log and participants that the caller made. main.ts
// passes the real adapters (Redis, PostgreSQL, HTTP peers); a simulation can pass models of them. Nothing here
// opens a connection or reads the environment.
import type { Registry } from 'prom-client';
import type { Clock } from '../common/clock.ts';
import type { Faults } from '../common/faults.ts';
import type { Logger } from '../common/log.ts';
import type { Random } from '../common/random.ts';
import type { ServiceParts } from '../common/service.ts';
import type { SessionManagerConfig } from './config.ts';
import { Coordinator } from './coordinator.ts';
import { DeadlockDetector } from './deadlock-detector.ts';
import { Delivery } from './delivery.ts';
import { queueEvidence } from './evidence-queue.ts';
import { Finisher } from './finisher.ts';
import { LeaderElector, type LeaseStore } from './leader.ts';
import { createSmMetrics, type SmMetrics, schedulerObserver } from './metrics.ts';
import type { ParticipantClient, WaitSource } from './participants.ts';
import { Relay } from './relay.ts';
import { sessionRoutes } from './routes.ts';
import { Scheduler } from './scheduler.ts';
import type { Dsm, EventStream } from './store.ts';
import type { TxLog } from './txlog.ts';

export interface SessionManagerPorts {
  config: SessionManagerConfig;
  /** This node's name: the lease holder's, and the one logged with its intents and decisions. */
  node: string;
  lease: LeaseStore;
  dsm: Dsm;
  stream: EventStream;
  txlog: TxLog;
  /** The participants every transaction prepares at, in the order their votes are logged. */
  participants: readonly ParticipantClient[];
  /** The participants' wait-for edges, for the deadlock detector. */
  waitSources: readonly WaitSource[];
  clock: Clock;
  /** Session and transaction ids. */
  random: Random;
  logger: Logger;
  /** The process's registry: the session manager's own series are added to it. */
  registry: Registry;
  faults: Faults;
}

// Fixed, not configured: each is a bound that no run has needed to change.
/** Fraction of the lease TTL the elector stops trusting early, for clock drift between it and the lease store. */
const leaseDriftMargin = 0.1;
/** Pre-commit and phase-2 attempts made inline before a request answers; the finisher retries after that. */
const phase2InlineAttempts = 3;
const relayBatchMax = 100;
const finisherBatchMax = 200;
const detectorCallTimeoutMs = 1000;
const detectorCyclesMax = 64;

/**
 * Builds the session manager and starts its background work (campaigning, relay, finisher, scheduler, detector).
 * The returned close() stops them and gives the lease up; the adapters the caller made are the caller's to close,
 * after it.
 */
export function buildSessionManager(ports: SessionManagerPorts): ServiceParts {
  if (ports.participants.length === 0) throw new Error('a session manager needs at least one participant');
  const metrics = createSmMetrics(ports.registry);
  let recovery: Finisher | undefined;
  // A new leader recovers its predecessors' unfinished transactions at once, not an interval later: their requests'
  // retries (same idempotency key) wait for those outcomes.
  const { elector, relay } = leadership(ports, metrics, () => void recovery?.pass());
  const onDecided = () => relay.kick();
  const { coordinator, finisher } = transactionWork(ports, metrics, elector, onDecided);
  recovery = finisher;
  const { config, clock, logger } = ports;
  const observer = { ...schedulerObserver(metrics), ...queueEvidence(logger) };
  const scheduler = new Scheduler(config.scheduler, clock, observer);
  const detector = deadlockDetector(ports, metrics, elector, coordinator, onDecided);
  elector.start();
  relay.start();
  finisher.start();
  scheduler.start();
  detector.start();
  return {
    routes: sessionRoutes(coordinator, scheduler, finisher, ports.dsm, { cells: config.cells }, () =>
      elector.leaderHint(),
    ),
    health: () => elector.status,
    async close() {
      detector.stop();
      scheduler.stop();
      finisher.stop();
      relay.stop();
      await elector.stop();
    },
  };
}

/** The elector and the relay that only the leader runs: each needs the other. `onLeading`: once a takeover is done. */
function leadership(
  ports: SessionManagerPorts,
  metrics: SmMetrics,
  onLeading: () => void,
): { elector: LeaderElector; relay: Relay } {
  const { config, clock, logger, node, txlog } = ports;
  let relay: Relay | undefined;
  const elector = new LeaderElector(
    ports.lease,
    { node, leaseTtlMs: config.leaseTtlMs, driftMargin: leaseDriftMargin, keepLeading: config.bugs.staleLeader },
    clock,
    logger,
    {
      async onElected(epoch) {
        metrics.leadershipChanges.inc({ event: 'acquire' });
        metrics.epoch.set(epoch);
        // Raise the coordinator database's fence first: from here on no older leader's write can land there.
        await txlog.raiseFence(epoch);
        metrics.leader.set(1);
        void clock.yieldNow().then(() => {
          relay?.kick();
          onLeading();
        });
      },
      onDemoted(_epoch, reason) {
        metrics.leader.set(0);
        metrics.leadershipChanges.inc({ event: 'step-down' });
        logger.warn('stepped down', { reason });
      },
    },
  );
  relay = new Relay(
    txlog,
    ports.stream,
    elector,
    logger,
    metrics,
    clock,
    config.relayIntervalMs,
    relayBatchMax,
    (p) => ports.faults.crashPoint(p),
    config.relayLingerMs,
  );
  return { elector, relay };
}

/** The coordinator decides; delivery and the finisher carry decisions to the participants. */
function transactionWork(
  ports: SessionManagerPorts,
  metrics: SmMetrics,
  elector: LeaderElector,
  onDecided: () => void,
): { coordinator: Coordinator; finisher: Finisher } {
  const { config, txlog, dsm, clock, logger, node, faults } = ports;
  const participants = [...ports.participants];
  const delivery = new Delivery({
    config: { phase2TimeoutMs: config.phase2TimeoutMs },
    txlog,
    dsm,
    participants,
    clock,
    logger,
    faults,
  });
  const coordinator = new Coordinator({
    config: {
      node,
      prepareTimeoutMs: config.prepareTimeoutMs,
      phase2InlineAttempts,
      duplicateWaitMs: config.duplicateWaitMs,
      bugs: {
        noDecisionLog: config.bugs.noDecisionLog,
        earlyCommit: config.bugs.earlyCommit,
        emitBeforeCommit: config.bugs.emitBeforeCommit,
      },
    },
    txlog,
    dsm,
    stream: ports.stream,
    participants,
    delivery,
    leadership: elector,
    clock,
    random: ports.random,
    logger,
    faults,
    metrics,
    onDecided,
  });
  const finisherConfig = {
    intervalMs: config.recoveryIntervalMs,
    batchMax: finisherBatchMax,
    abandonAfterMs: config.abandonAfterMs,
    queryTimeoutMs: config.phase2TimeoutMs,
  };
  const finisher = new Finisher(txlog, delivery, participants, elector, finisherConfig, metrics, logger, node, clock);
  return { coordinator, finisher };
}

function deadlockDetector(
  ports: SessionManagerPorts,
  metrics: SmMetrics,
  elector: LeaderElector,
  coordinator: Coordinator,
  onDecided: () => void,
): DeadlockDetector {
  return new DeadlockDetector({
    config: {
      ...ports.config.detector,
      callTimeoutMs: detectorCallTimeoutMs,
      cyclesMax: detectorCyclesMax,
    },
    sources: ports.waitSources,
    txlog: ports.txlog,
    leadership: elector,
    clock: ports.clock,
    logger: ports.logger,
    metrics,
    node: ports.node,
    onDecided,
    preparing: () => coordinator.preparing > 0,
  });
}
