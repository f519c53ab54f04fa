// The `containers` provider: Redis 7 and Postgres 16 through testcontainers, when a Docker engine answers.
// testcontainers is imported lazily: it is slow to load and most machines use `local`.
import { onShutdown } from '../process/lifecycle.ts';
import { recreateDatabase } from './pg-admin.ts';
import type { Environment } from './types.ts';

/** Asks testcontainers for a container runtime; resolves to the reason when there is none. */
export async function probeDocker(): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    return {
      ok: true,
      version: `${client.info.containerRuntime.host} (server ${client.info.containerRuntime.serverVersion})`,
    };
  } catch (err) {
    return { ok: false, reason: (err as Error).message.split('\n')[0] ?? 'no container runtime' };
  }
}

export async function startContainers(): Promise<Environment> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const redis = await new GenericContainer('redis:7')
    .withCommand(['redis-server', '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .start();
  let pg: Awaited<ReturnType<InstanceType<typeof GenericContainer>['start']>>;
  try {
    pg = await new GenericContainer('postgres:16')
      .withEnvironment({ POSTGRES_PASSWORD: 'rig', POSTGRES_USER: 'postgres' })
      .withCommand(['postgres', '-c', 'max_prepared_transactions=256', '-c', 'max_connections=300', '-c', 'fsync=on'])
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
  } catch (err) {
    await redis.stop();
    throw err;
  }
  const postgresEndpoint = { host: pg.getHost(), port: pg.getMappedPort(5432), user: 'postgres', password: 'rig' };
  const stop = async () => {
    unregister();
    await Promise.allSettled([redis.stop(), pg.stop()]);
  };
  const unregister = onShutdown(stop);
  return {
    provider: 'containers',
    description: `containers redis:7 ${redis.getHost()}:${redis.getMappedPort(6379)}, postgres:16 ${postgresEndpoint.host}:${postgresEndpoint.port}`,
    redis: { host: redis.getHost(), port: redis.getMappedPort(6379), keyPrefix: '', db: 0 },
    postgres: postgresEndpoint,
    async createDatabase(name) {
      await recreateDatabase(postgresEndpoint, name);
      return name;
    },
    // A restarted container keeps its mapped port only while Docker keeps it; the AOF keeps the data.
    restartRedis: async () => {
      await redis.restart();
    },
    stop,
  };
}
