// The session manager's configuration, read from the environment once at start; bad values fail at start, naming
// the variable. Two halves: what the assembly needs (build.ts, also given by a simulation) and what only the real
// adapters need (Redis, PostgreSQL, the HTTP peers; main.ts). Each planted bug is read here, once.
import { plantedBug } from '../common/bugs.ts';
import { ConfigError, type Env } from '../common/config.ts';
import { type Transport, transports } from '../common/peer.ts';
import type { DetectorMode } from './deadlock-detector.ts';
import type { SchedulerConfig } from './scheduler.ts';
import type { StoreOptions } from './store.ts';
import { defaultBatching, type LogBatching } from './txlog.ts';

/** What buildSessionManager needs besides its ports. */
export interface SessionManagerConfig {
  leaseTtlMs: number;
  prepareTimeoutMs: number;
  /** Deadline of each phase-2 call, and of the finisher's state queries. */
  phase2TimeoutMs: number;
  /** How long a duplicate request (same idempotency key) waits for the first one's outcome. */
  duplicateWaitMs: number;
  relayIntervalMs: number;
  /** Work no client waits on (relaying events) gathers this long into one pass. */
  relayLingerMs: number;
  recoveryIntervalMs: number;
  abandonAfterMs: number;
  scheduler: SchedulerConfig;
  detector: { mode: DetectorMode; intervalMs: number };
  /** Cells in the network: a request naming none gets its subscriber's home cell. */
  cells: number;
  /** Planted bugs (DESIGN section 6) the assembly passes on; all false in a correct system. */
  bugs: { staleLeader: boolean; noDecisionLog: boolean; earlyCommit: boolean; emitBeforeCommit: boolean };
}

/** What only the real adapters need. */
export interface AdapterConfig {
  redisUrl: string;
  redisPrefix: string;
  databaseUrl: string;
  poolMax: number;
  /** Deadline of each Redis command and PostgreSQL statement. */
  queryTimeoutMs: number;
  /** False only for the planted bug no-fencing: the transaction log accepts writes whatever their token. */
  fencing: boolean;
  logBatching: LogBatching;
  store: StoreOptions;
  /** The participants, by node name. */
  participants: Map<string, string>;
  transport: Transport;
}

export function readSessionManagerConfig(env: Env): { config: SessionManagerConfig; adapters: AdapterConfig } {
  const phase2TimeoutMs = env.int('RIG_PHASE2_TIMEOUT_MS', 1000, 10, 600_000);
  const lingerMs = env.int('RIG_LINGER_MS', defaultBatching.closeLingerMs ?? 0, 0, 1000);
  const config: SessionManagerConfig = {
    leaseTtlMs: env.int('RIG_LEASE_TTL_MS', 2000, 100, 600_000),
    prepareTimeoutMs: env.int('RIG_PREPARE_TIMEOUT_MS', 3000, 10, 600_000),
    phase2TimeoutMs,
    duplicateWaitMs: env.int('RIG_DUPLICATE_WAIT_MS', 5000, 0, 600_000),
    relayIntervalMs: env.int('RIG_RELAY_INTERVAL_MS', 200, 10, 60_000),
    relayLingerMs: lingerMs,
    recoveryIntervalMs: env.int('RIG_RECOVERY_INTERVAL_MS', 500, 10, 60_000),
    abandonAfterMs: env.int('RIG_ABANDON_AFTER_MS', 15_000, 100, 3_600_000),
    scheduler: schedulerConfig(env),
    detector: { mode: detectorMode(env), intervalMs: env.int('RIG_DEADLOCK_INTERVAL_MS', 100, 10, 60_000) },
    cells: env.int('RIG_CELLS', 1000, 1, 1_000_000),
    bugs: {
      staleLeader: plantedBug(env, 'stale-leader'),
      noDecisionLog: plantedBug(env, 'no-decision-log'),
      earlyCommit: plantedBug(env, 'early-commit'),
      emitBeforeCommit: plantedBug(env, 'emit-before-commit'),
    },
  };
  return { config, adapters: adapterConfig(env, lingerMs) };
}

function adapterConfig(env: Env, lingerMs: number): AdapterConfig {
  const fencing = !plantedBug(env, 'no-fencing');
  const participants = env.urlMap('RIG_PARTICIPANTS');
  if (participants.size === 0) throw new ConfigError('RIG_PARTICIPANTS names no participant: write name=url,...');
  return {
    redisUrl: env.url('REDIS_URL'),
    redisPrefix: env.string('RIG_REDIS_PREFIX', ''),
    databaseUrl: env.url('DATABASE_URL'),
    poolMax: env.int('RIG_POOL_MAX', 32, 1, 500),
    queryTimeoutMs: env.int('RIG_QUERY_TIMEOUT_MS', 2000, 50, 600_000),
    fencing,
    logBatching: {
      maxBatch: env.int('RIG_LOG_BATCH_MAX', defaultBatching.maxBatch, 1, 1000),
      maxInFlight: env.int('RIG_LOG_BATCH_IN_FLIGHT', defaultBatching.maxInFlight, 1, 100),
      closeLingerMs: lingerMs,
    },
    store: {
      streamMaxLen: env.int('RIG_STREAM_MAXLEN', 0, 0, 1e9),
      auditMaxLen: env.int('RIG_DSM_AUDIT_MAXLEN', 0, 0, 1e9),
      checkTokens: fencing,
      sequencePerSession: !plantedBug(env, 'unordered-events'),
      compareVersions: !plantedBug(env, 'cas-no-compare'),
    },
    participants,
    transport: env.oneOf('RIG_PEER_TRANSPORT', transports),
  };
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

function detectorMode(env: Env): DetectorMode {
  const mode = env.string('RIG_DEADLOCK_DETECTOR', 'on');
  if (mode !== 'on' && mode !== 'off') throw new ConfigError(`RIG_DEADLOCK_DETECTOR="${mode}": write on or off`);
  return mode;
}
