// The participant's configuration, read from the environment once at start. Bad values fail at start, naming
// the variable.
import { ConfigError, type Env } from '../common/config.ts';

export interface ParticipantConfig {
  node: string;
  databaseUrl: string;
  /** Postgres lock_timeout: a prepare waiting longer for a row lock votes no (`lock_timeout`). */
  lockTimeoutMs: number;
  /** A transaction prepared longer than this is asked about (decision query). */
  decisionQueryAfterMs: number;
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
    lockTimeoutMs: env.int('RIG_LOCK_TIMEOUT_MS', 2000, 1, 600_000),
    decisionQueryAfterMs: env.int('RIG_DECISION_QUERY_AFTER_MS', 5000, 0, 3_600_000),
    sessionManagers:
      env.optional('RIG_SESSION_MANAGERS') === undefined ? new Map() : env.urlMap('RIG_SESSION_MANAGERS'),
    poolMax: env.int('RIG_POOL_MAX', 64, 1, 1000),
  };
}
