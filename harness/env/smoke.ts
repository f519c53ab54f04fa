// A quick proof that an environment can serve a run: Redis takes a lease (SET NX PX), Postgres runs two-phase commit.
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { type Environment, postgresUrl } from './types.ts';

export interface SmokeResult {
  redisVersion: string;
  postgresVersion: string;
  maxPreparedTransactions: number;
}

export async function smokeTest(env: Environment, database: string): Promise<SmokeResult> {
  const redis = new Redis({ ...env.redis, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  const sql = postgres(postgresUrl(env.postgres, database), { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await redis.connect();
    const key = 'doctor:lease';
    const first = await redis.set(key, 'a', 'PX', 5000, 'NX');
    const second = await redis.set(key, 'b', 'PX', 5000, 'NX');
    if (first !== 'OK' || second !== null) throw new Error(`redis SET NX PX misbehaved: ${first}, ${second}`);
    await redis.del(key);
    const info = await redis.info('server');
    const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';

    const [setting] = await sql`SHOW max_prepared_transactions`;
    const maxPreparedTransactions = Number(setting?.max_prepared_transactions);
    if (!(maxPreparedTransactions > 0)) throw new Error('postgres has max_prepared_transactions = 0: 2PC is off');
    const gid = `doctor-${process.pid}-${Date.now()}`;
    await sql`CREATE TABLE IF NOT EXISTS doctor (id int)`;
    await sql.unsafe(`BEGIN; INSERT INTO doctor VALUES (1); PREPARE TRANSACTION '${gid}'`);
    await sql.unsafe(`COMMIT PREPARED '${gid}'`);
    await sql`DROP TABLE doctor`;
    const [version] = await sql`SHOW server_version`;
    return { redisVersion, postgresVersion: String(version?.server_version), maxPreparedTransactions };
  } finally {
    redis.disconnect();
    await sql.end({ timeout: 5 });
  }
}
