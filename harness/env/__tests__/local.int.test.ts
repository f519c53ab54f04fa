// Proves the local provider gives real, usable servers (lease semantics in Redis, two-phase commit in Postgres),
// that stopping it leaves no process behind, and that bad configuration fails clearly without leaving any.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalEnvironmentHandle, startLocal } from '../local.ts';
import { postgresUrl } from '../types.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rig-env-test-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line mentions `dir` (postgres backends included). */
function processesUsing(dir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(dir) && !l.includes('ps -eo'));
}

describe('local provider', () => {
  it('serves SET NX PX and PREPARE TRANSACTION, then stops without leaving a process', async () => {
    const dir = tempDir();
    const env: LocalEnvironmentHandle = await startLocal({ dir });
    const { redis: redisPid, postgres: pgPid } = env.pids;
    try {
      expect(alive(redisPid)).toBe(true);
      expect(alive(pgPid)).toBe(true);

      const redis = new Redis({ host: env.redis.host, port: env.redis.port, lazyConnect: true });
      await redis.connect();
      expect(await redis.set('lease', 'node-1', 'PX', 2000, 'NX')).toBe('OK');
      expect(await redis.set('lease', 'node-2', 'PX', 2000, 'NX')).toBeNull();
      expect(await redis.get('lease')).toBe('node-1');
      redis.disconnect();

      const db = await env.createDatabase('twophase');
      const sql = postgres(postgresUrl(env.postgres, db), { max: 1, onnotice: () => {} });
      await sql`CREATE TABLE t (id int)`;
      await sql.unsafe(`BEGIN; INSERT INTO t VALUES (42); PREPARE TRANSACTION 'g1'`);
      const prepared = await sql`SELECT gid FROM pg_prepared_xacts WHERE database = ${db}`;
      expect(prepared.map((r) => r.gid)).toEqual(['g1']);
      expect(await sql`SELECT count(*)::int AS n FROM t`).toEqual([{ n: 0 }]);
      await sql.unsafe(`COMMIT PREPARED 'g1'`);
      expect(await sql`SELECT id FROM t`).toEqual([{ id: 42 }]);
      const [fsync] = await sql`SHOW fsync`;
      expect(fsync?.fsync).toBe('on');
      await sql.end();
    } finally {
      await env.stop();
    }
    expect(alive(redisPid)).toBe(false);
    expect(alive(pgPid)).toBe(false);
    expect(processesUsing(dir)).toEqual([]);
  });

  it('restarts redis in place and keeps its data (AOF)', async () => {
    const env = await startLocal({ dir: tempDir(), appendfsync: 'always' });
    try {
      const redis = new Redis({ host: env.redis.host, port: env.redis.port, lazyConnect: true });
      await redis.connect();
      await redis.set('epoch', '7');
      redis.disconnect();
      const before = env.pids.redis;
      await env.restartRedis?.();
      expect(env.pids.redis).not.toBe(before);
      const again = new Redis({ host: env.redis.host, port: env.redis.port, lazyConnect: true });
      await again.connect();
      expect(await again.get('epoch')).toBe('7');
      again.disconnect();
    } finally {
      await env.stop();
    }
  });

  it('refuses a port that is already taken, naming it, and starts nothing', async () => {
    const dir = tempDir();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startLocal({ dir, redisPort: port })).rejects.toThrow(`127.0.0.1:${port} is already in use`);
    } finally {
      blocker.close();
    }
    expect(processesUsing(dir)).toEqual([]);
  });

  it('reports a corrupted postgres setting with the server log, and leaves no process', async () => {
    const dir = tempDir();
    const failure = startLocal({ dir, postgresSettings: { max_prepared_transactions: 'lots' } });
    await expect(failure).rejects.toThrow(/postgres exited during start[\s\S]*max_prepared_transactions/);
    expect(processesUsing(dir)).toEqual([]);
  });
});
