// An Environment is where a run gets its Redis and PostgreSQL. Every test and every run goes through one.
import type { ProviderChoice } from '../../format/config.ts';

export type ProviderName = Exclude<ProviderChoice, 'auto'>;

export interface RedisEndpoint {
  host: string;
  port: number;
  /** Every key the run writes starts with this (empty for private instances). */
  keyPrefix: string;
  /** Redis logical database index. */
  db: number;
}

export interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface Environment {
  readonly provider: ProviderName;
  /** One line on where the servers are, for logs and config.json. */
  readonly description: string;
  readonly redis: RedisEndpoint;
  readonly postgres: PostgresEndpoint;
  /** Creates (or recreates, empty) a database private to this run and returns its name. */
  createDatabase(logicalName: string): Promise<string>;
  /** Restarts Redis in place (same port, same data); undefined where the provider cannot. */
  readonly restartRedis?: () => Promise<void>;
  /** Stops what this environment started and drops what it created. Always completes; logs failures. */
  stop(): Promise<void>;
}

export function redisUrl(r: RedisEndpoint): string {
  return `redis://${r.host}:${r.port}/${r.db}`;
}

export function postgresUrl(p: PostgresEndpoint, database: string): string {
  const auth = p.password
    ? `${encodeURIComponent(p.user)}:${encodeURIComponent(p.password)}`
    : encodeURIComponent(p.user);
  return `postgres://${auth}@${p.host}:${p.port}/${encodeURIComponent(database)}`;
}

/** Thrown when no provider can give us servers; the message says what to install. */
export class EnvironmentUnavailableError extends Error {
  override readonly name = 'EnvironmentUnavailableError';
}

/** Thrown for bad provider configuration (a bad URL, a taken port); nothing was started. */
export class EnvironmentConfigError extends Error {
  override readonly name = 'EnvironmentConfigError';
}
