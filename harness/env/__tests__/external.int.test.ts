// Proves the external provider isolates a run on shared servers (its own key prefix and databases) and removes
// both when it stops, without touching anything else. The "shared" servers are a private local environment.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useExternal } from '../external.ts';
import { type LocalEnvironmentHandle, startLocal } from '../local.ts';
import { EnvironmentConfigError, postgresUrl, redisUrl } from '../types.ts';

let shared: LocalEnvironmentHandle;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rig-ext-test-'));
  shared = await startLocal({ dir });
});
afterAll(async () => {
  await shared?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('external provider', () => {
  it('gives each run its own prefix and databases and removes them on stop', async () => {
    const urls = {
      redisUrl: redisUrl(shared.redis),
      databaseUrl: postgresUrl(shared.postgres, 'postgres'),
    };
    const outsider = new Redis({ host: shared.redis.host, port: shared.redis.port, lazyConnect: true });
    await outsider.connect();
    await outsider.set('not-ours', '1');

    const a = useExternal({ ...urls, runId: 'run-A' });
    const b = useExternal({ ...urls, runId: 'run-B' });
    expect(a.redis.keyPrefix).not.toBe(b.redis.keyPrefix);
    const dbA = await a.createDatabase('coordinator');
    const dbB = await b.createDatabase('coordinator');
    expect(dbA).not.toBe(dbB);
    await outsider.set(`${a.redis.keyPrefix}lease`, 'x');

    const admin = postgres(postgresUrl(shared.postgres, 'postgres'), { max: 1, onnotice: () => {} });
    const names = async () => (await admin`SELECT datname FROM pg_database`).map((r) => r.datname as string);
    expect(await names()).toEqual(expect.arrayContaining([dbA, dbB]));

    await a.stop();
    expect(await names()).not.toContain(dbA);
    expect(await names()).toContain(dbB);
    expect(await outsider.exists(`${a.redis.keyPrefix}lease`)).toBe(0);
    expect(await outsider.get('not-ours')).toBe('1');
    await b.stop();
    expect(await names()).not.toContain(dbB);
    await admin.end();
    outsider.disconnect();
  });

  it('rejects a malformed URL with a message naming the variable', () => {
    expect(() => useExternal({ redisUrl: 'not a url', databaseUrl: 'postgres://x/y', runId: 'r' })).toThrow(
      EnvironmentConfigError,
    );
    expect(() => useExternal({ redisUrl: 'http://h:1', databaseUrl: 'postgres://x/y', runId: 'r' })).toThrow(
      /REDIS_URL must start with redis:/,
    );
  });
});
