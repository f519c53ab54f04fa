// The `external` provider: servers someone else runs (REDIS_URL, DATABASE_URL). A run gets its own key prefix
// and its own databases, and removes both when it stops.
import { Redis } from 'ioredis';
import { dropDatabase, recreateDatabase } from './pg-admin.ts';
import { type Environment, EnvironmentConfigError, type PostgresEndpoint, type RedisEndpoint } from './types.ts';

export interface ExternalOptions {
  redisUrl: string;
  databaseUrl: string;
  /** Distinguishes this run's keys and databases from every other run's on the same servers. */
  runId: string;
}

function parseUrl(value: string, variable: string, protocols: string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EnvironmentConfigError(`${variable}="${value}" is not a URL; expected e.g. ${protocols[0]}//host:port`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new EnvironmentConfigError(`${variable} must start with ${protocols.join(' or ')}, got "${url.protocol}"`);
  }
  return url;
}

class ExternalEnvironment implements Environment {
  readonly provider = 'external' as const;
  readonly description: string;
  readonly redis: RedisEndpoint;
  readonly postgres: PostgresEndpoint;
  private readonly created: string[] = [];
  private readonly dbPrefix: string;

  constructor(opts: ExternalOptions) {
    const r = parseUrl(opts.redisUrl, 'REDIS_URL', ['redis:']);
    const p = parseUrl(opts.databaseUrl, 'DATABASE_URL', ['postgres:', 'postgresql:']);
    const slug = opts.runId
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '_')
      .slice(0, 30);
    this.dbPrefix = `rig_${slug}`;
    this.redis = {
      host: r.hostname,
      port: Number(r.port || 6379),
      keyPrefix: `rig:${slug}:`,
      db: Number(r.pathname.slice(1) || 0),
    };
    this.postgres = {
      host: p.hostname,
      port: Number(p.port || 5432),
      user: decodeURIComponent(p.username || 'postgres'),
      password: decodeURIComponent(p.password),
    };
    this.description = `external redis ${r.host} (prefix ${this.redis.keyPrefix}), postgres ${p.host} (databases ${this.dbPrefix}_*)`;
  }

  async createDatabase(logicalName: string): Promise<string> {
    const name = `${this.dbPrefix}_${logicalName}`;
    await recreateDatabase(this.postgres, name);
    this.created.push(name);
    return name;
  }

  async stop(): Promise<void> {
    for (const name of this.created.splice(0)) {
      await dropDatabase(this.postgres, name).catch((err: Error) =>
        process.stderr.write(`could not drop database ${name}: ${err.message}\n`),
      );
    }
    const redis = new Redis({ ...this.redis, keyPrefix: '', lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.redis.keyPrefix}*`, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } catch (err) {
      process.stderr.write(`could not remove redis keys ${this.redis.keyPrefix}*: ${(err as Error).message}\n`);
    } finally {
      redis.disconnect();
    }
  }
}

export function useExternal(opts: ExternalOptions): Environment {
  return new ExternalEnvironment(opts);
}
