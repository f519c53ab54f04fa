// The session manager process: one of several; the one holding the Redis lease coordinates transactions.
import type { Redis } from 'ioredis';
import { plantedBug } from '../common/bugs.ts';
import type { Clock } from '../common/clock.ts';
import { ConfigError, type Env } from '../common/config.ts';
import { Peer, transports } from '../common/peer.ts';
import { connectPostgres, type Sql } from '../common/pg.ts';
import { connectRedis } from '../common/redis.ts';
import { type Runtime, runService } from '../common/service.ts';
import { Coordinator } from './coordinator.ts';
import { DeadlockDetector, type DetectorConfig } from './deadlock-detector.ts';
import { Delivery } from './delivery.ts';
import { queueEvidence } from './evidence-queue.ts';
import { Finisher } from './finisher.ts';
import { LeaderElector } from './leader.ts';
import { createSmMetrics, type SmMetrics, schedulerObserver } from './metrics.ts';
import { HttpParticipant } from './participants.ts';
import { Relay } from './relay.ts';
import { sessionRoutes } from './routes.ts';
import { Scheduler, type SchedulerConfig } from './scheduler.ts';
import { RedisStore } from './store.ts';
import { defaultBatching, PostgresTxLog } from './txlog.ts';

await runService('session-manager', async (rt) => {
  const { env, clock, node } = rt;
  const leaseTtlMs = env.int('RIG_LEASE_TTL_MS', 2000, 100, 600_000);
  const queryTimeoutMs = env.int('RIG_QUERY_TIMEOUT_MS', 2000, 50, 600_000);
  const stores = await openStores(env, node, clock, queryTimeoutMs);
  const metrics = createSmMetrics(rt.metrics.registry);
  const transport = env.oneOf('RIG_PEER_TRANSPORT', transports);
  const peers = [...env.urlMap('RIG_PARTICIPANTS')].map(
    ([name, url]) => new Peer(name, url, rt.ring, clock, { transport, random: rt.random }),
  );
  const participants = peers.map((peer) => new HttpParticipant(peer.name, peer));
  if (participants.length === 0) throw new Error('RIG_PARTICIPANTS names no participant');
  const { elector, relay } = leadership(rt, stores, metrics, leaseTtlMs);
  const w: Wiring = { rt, stores, participants, elector, metrics, onDecided: () => relay.kick() };
  const { coordinator, finisher } = transactionWork(w);
  const observer = { ...schedulerObserver(metrics), ...queueEvidence(rt.logger) };
  const scheduler = new Scheduler(schedulerConfig(env), clock, observer);
  const detector = deadlockDetector(w, coordinator);
  elector.start();
  relay.start();
  finisher.start();
  scheduler.start();
  detector.start();

  return {
    routes: sessionRoutes(
      coordinator,
      scheduler,
      finisher,
      stores.store,
      { cells: env.int('RIG_CELLS', 1000, 1, 1_000_000) },
      () => elector.leaderHint(),
    ),
    health: () => elector.status,
    async close() {
      detector.stop();
      scheduler.stop();
      finisher.stop();
      relay.stop();
      await elector.stop();
      for (const peer of peers) peer.close();
      stores.redis.disconnect();
      await stores.sql.end({ timeout: 2 });
    },
  };
});

interface Stores {
  redis: Redis;
  sql: Sql;
  txlog: PostgresTxLog;
  store: RedisStore;
  /** Work no client waits on (closing log rows, relaying events) gathers this long into one statement or pass. */
  lingerMs: number;
}

async function openStores(env: Env, node: string, clock: Clock, queryTimeoutMs: number): Promise<Stores> {
  const redis = connectRedis({
    url: env.url('REDIS_URL'),
    keyPrefix: env.string('RIG_REDIS_PREFIX', ''),
    commandTimeoutMs: queryTimeoutMs,
  });
  redis.on('error', () => {}); // reconnects on its own; failures surface on each command
  // A transaction holding the fence row (a decision) whose leader is cut off mid-way must not block the next
  // leader's fence raise until the partition heals: the server ends it well within the raise's own deadline.
  const sql = connectPostgres(
    env.url('DATABASE_URL'),
    env.int('RIG_POOL_MAX', 32, 1, 500),
    Math.ceil(queryTimeoutMs / 2),
  );
  const fencing = !plantedBug(env, 'no-fencing');
  const lingerMs = env.int('RIG_LINGER_MS', defaultBatching.closeLingerMs ?? 0, 0, 1000);
  const txlog = await PostgresTxLog.open(
    sql,
    queryTimeoutMs,
    fencing,
    {
      maxBatch: env.int('RIG_LOG_BATCH_MAX', defaultBatching.maxBatch, 1, 1000),
      maxInFlight: env.int('RIG_LOG_BATCH_IN_FLIGHT', defaultBatching.maxInFlight, 1, 100),
      closeLingerMs: lingerMs,
    },
    clock,
  );
  const store = new RedisStore(redis, node, {
    streamMaxLen: env.int('RIG_STREAM_MAXLEN', 0, 0, 1e9),
    auditMaxLen: env.int('RIG_DSM_AUDIT_MAXLEN', 0, 0, 1e9),
    checkTokens: fencing,
    sequencePerSession: !plantedBug(env, 'unordered-events'),
    compareVersions: !plantedBug(env, 'cas-no-compare'),
  });
  return { redis, sql, txlog, store, lingerMs };
}

/** The elector and the relay that only the leader runs: each needs the other. */
function leadership(rt: Runtime, stores: Stores, metrics: SmMetrics, leaseTtlMs: number) {
  const { env, clock, logger, node } = rt;
  const { store, txlog } = stores;
  let relay: Relay | undefined;
  const elector = new LeaderElector(
    store,
    { node, leaseTtlMs, driftMargin: 0.1, keepLeading: plantedBug(env, 'stale-leader') },
    clock,
    logger,
    {
      async onElected(epoch) {
        metrics.leadershipChanges.inc({ event: 'acquire' });
        metrics.epoch.set(epoch);
        // Raise the coordinator database's fence first: from here on no older leader's write can land there.
        await txlog.raiseFence(epoch);
        metrics.leader.set(1);
        void clock.yieldNow().then(() => relay?.kick());
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
    store,
    elector,
    logger,
    metrics,
    clock,
    env.int('RIG_RELAY_INTERVAL_MS', 200, 10, 60_000),
    100,
    (p) => rt.faults.crashPoint(p),
    stores.lingerMs,
  );
  return { elector, relay };
}

/** What the transaction path and the deadlock detector are built from. */
interface Wiring {
  rt: Runtime;
  stores: Stores;
  participants: HttpParticipant[];
  elector: LeaderElector;
  metrics: SmMetrics;
  onDecided: () => void;
}

/** The coordinator decides; delivery and the finisher carry decisions to the participants. */
function transactionWork(w: Wiring): { coordinator: Coordinator; finisher: Finisher } {
  const { rt, participants, elector, metrics, onDecided } = w;
  const { env, clock, logger, node } = rt;
  const { txlog, store } = w.stores;
  const phase2TimeoutMs = env.int('RIG_PHASE2_TIMEOUT_MS', 1000, 10, 600_000);
  const delivery = new Delivery({
    config: { phase2TimeoutMs },
    txlog,
    dsm: store,
    participants,
    clock,
    logger,
    faults: rt.faults,
  });
  const coordinator = new Coordinator({
    config: {
      node,
      prepareTimeoutMs: env.int('RIG_PREPARE_TIMEOUT_MS', 3000, 10, 600_000),
      phase2InlineAttempts: 3,
      duplicateWaitMs: env.int('RIG_DUPLICATE_WAIT_MS', 5000, 0, 600_000),
      bugs: {
        noDecisionLog: plantedBug(env, 'no-decision-log'),
        earlyCommit: plantedBug(env, 'early-commit'),
        emitBeforeCommit: plantedBug(env, 'emit-before-commit'),
      },
    },
    txlog,
    dsm: store,
    stream: store,
    participants,
    delivery,
    leadership: elector,
    clock,
    random: rt.random,
    logger,
    faults: rt.faults,
    metrics,
    onDecided,
  });
  const finisherConfig = {
    intervalMs: env.int('RIG_RECOVERY_INTERVAL_MS', 500, 10, 60_000),
    batchMax: 200,
    abandonAfterMs: env.int('RIG_ABANDON_AFTER_MS', 15_000, 100, 3_600_000),
    queryTimeoutMs: phase2TimeoutMs,
  };
  const finisher = new Finisher(txlog, delivery, participants, elector, finisherConfig, metrics, logger, node, clock);
  return { coordinator, finisher };
}

function schedulerConfig(env: Env): SchedulerConfig {
  return {
    workers: env.int('RIG_WORKERS', 32, 1, 4096),
    queueMax: env.int('RIG_QUEUE_MAX', 512, 1, 1_000_000),
    agingMs: env.int('RIG_SCHEDULER_AGING_MS', 1000, 1, 600_000),
    promotedTurnEvery: env.int('RIG_SCHEDULER_PROMOTED_TURN_EVERY', 4, 1, 1000),
    queueWaitMaxMs: env.int('RIG_QUEUE_WAIT_MAX_MS', 5000, 1, 600_000),
  };
}

function deadlockDetector(w: Wiring, coordinator: Coordinator): DeadlockDetector {
  const { env, clock, logger, node } = w.rt;
  const detectorMode = env.string('RIG_DEADLOCK_DETECTOR', 'on');
  if (detectorMode !== 'on' && detectorMode !== 'off') {
    throw new ConfigError(`RIG_DEADLOCK_DETECTOR="${detectorMode}": write on or off`);
  }
  const config: DetectorConfig = {
    mode: detectorMode,
    intervalMs: env.int('RIG_DEADLOCK_INTERVAL_MS', 100, 10, 60_000),
    callTimeoutMs: 1000,
    cyclesMax: 64,
  };
  return new DeadlockDetector({
    config,
    sources: w.participants,
    txlog: w.stores.txlog,
    leadership: w.elector,
    clock,
    logger,
    metrics: w.metrics,
    node,
    onDecided: w.onDecided,
    preparing: () => coordinator.preparing > 0,
  });
}
