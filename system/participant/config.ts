// The participant's configuration, read from the environment once at start. Bad values fail at start, naming
// the variable.
import { plantedBug } from '../common/bugs.ts';
import { ConfigError, type Env } from '../common/config.ts';

export interface ParticipantConfig {
  node: string;
  databaseUrl: string;
  /** Postgres lock_timeout: a prepare waiting longer for a row lock votes no (`lock_timeout`). */
  lockTimeoutMs: number;
  /** A transaction prepared longer than this is asked about (decision query). */
  decisionQueryAfterMs: number;
  /** 3PC: a transaction pre-committed longer than this has timed out; by default it asks the leader as well. */
  precommitTimeoutMs: number;
  /** Planted bug `3pc-timeout-commit`: on that timeout it commits on its own instead (unsafe under partitions). */
  commitOnPrecommitTimeout: boolean;
  /** How often the wait-for edges are read while prepares are running. */
  waitsIntervalMs: number;
  /** Session managers to ask, by node name. */
  sessionManagers: Map<string, string>;
  poolMax: number;
}

// Node names go into gids (`<node>:<txnId>`) inside a PREPARE TRANSACTION literal: no quoting characters.
const nodePattern = /^[A-Za-z0-9._-]{1,40}$/;

export function readParticipantConfig(env: Env, node: string): ParticipantConfig {
  if (!nodePattern.test(node)) {
    throw new ConfigError(`RIG_NODE="${node}": use 1-40 characters of A-Z a-z 0-9 . _ -`);
  }
  return {
    node,
    databaseUrl: env.url('DATABASE_URL'),
    // 0 is Postgres's "wait for ever": only the planted bug no-lock-timeout asks for it.
    lockTimeoutMs: plantedBug(env, 'no-lock-timeout') ? 0 : env.int('RIG_LOCK_TIMEOUT_MS', 2000, 1, 600_000),
    decisionQueryAfterMs: env.int('RIG_DECISION_QUERY_AFTER_MS', 5000, 0, 3_600_000),
    precommitTimeoutMs: env.int('RIG_PRECOMMIT_TIMEOUT_MS', 5000, 0, 3_600_000),
    commitOnPrecommitTimeout: plantedBug(env, '3pc-timeout-commit'),
    waitsIntervalMs: env.int('RIG_WAITS_INTERVAL_MS', 50, 5, 60_000),
    sessionManagers:
      env.optional('RIG_SESSION_MANAGERS') === undefined ? new Map() : env.urlMap('RIG_SESSION_MANAGERS'),
    poolMax: env.int('RIG_POOL_MAX', 64, 1, 1000),
  };
}
