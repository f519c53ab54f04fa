// Proves the pool policy of our patched postgres.js (patches/postgres+3.4.9.patch) against a real PostgreSQL: an
// idle connection is handed out most recently used first, so a query at a time keeps landing on one backend
// instead of cycling through the whole pool.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEnvironmentHandle, startLocal } from '../../../harness/env/local.ts';
import { postgresUrl } from '../../../harness/env/types.ts';
import { connectPostgres, type Sql } from '../pg.ts';

let dir: string;
let env: LocalEnvironmentHandle;
let sql: Sql;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rig-pg-pool-'));
  env = await startLocal({ dir });
  sql = connectPostgres(postgresUrl(env.postgres, await env.createDatabase('pool')), 4);
});

afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const pid = async (q: Pick<Sql, 'unsafe'>) => Number((await q.unsafe('SELECT pg_backend_pid() AS pid'))[0]?.pid);

describe('postgres.js pool (patched)', () => {
  it('hands out the most recently used idle connection', async () => {
    // Four at once open the whole pool: four backends.
    const opened = await Promise.all(
      Array.from({ length: 4 }, async () => Number((await sql`SELECT pg_backend_pid() AS pid, pg_sleep(0.2)`)[0]?.pid)),
    );
    expect(new Set(opened).size).toBe(4);
    // One at a time: the connection that has just finished takes the next query (oldest first would cycle all four).
    const sequential: number[] = [];
    for (let i = 0; i < 8; i++) sequential.push(await pid(sql));
    expect(new Set(sequential).size).toBe(1);
    // reserve() takes the same one.
    const reserved = await sql.reserve();
    try {
      expect(await pid(reserved)).toBe(sequential[0]);
    } finally {
      reserved.release();
    }
  });
});
