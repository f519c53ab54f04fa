// Shared by the transaction log's tests: a private PostgreSQL for the file, a fresh coordinator database per test,
// and the intent rows they log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type LocalEnvironmentHandle, startLocal } from '../../../harness/env/local.ts';
import { postgresUrl } from '../../../harness/env/types.ts';
import { connectPostgres, type Sql } from '../../common/pg.ts';
import type { SessionRequest } from '../txlog.ts';

/** Starts PostgreSQL before the file's tests and stops it after; returns a maker of fresh, empty databases. */
export function coordinatorDatabases(prefix: string): (idleInTransactionMs?: number) => Promise<Sql> {
  let dir: string;
  let env: LocalEnvironmentHandle;
  const pools: Sql[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `rig-${prefix}-`));
    env = await startLocal({ dir });
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end({ timeout: 5 })));
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return async (idleInTransactionMs) => {
    const name = await env.createDatabase(`${prefix}_${pools.length}`);
    const sql = connectPostgres(postgresUrl(env.postgres, name), 4, idleInTransactionMs);
    pools.push(sql);
    return sql;
  };
}

export const request: SessionRequest = {
  subscriberId: 'imsi-001010000000001',
  trafficClass: 'voice',
  protocol: '2pc',
  cells: ['cell-1'],
  amount: 1,
};

export const intent = (txnId: string, token = 1, idempotencyKey: string | null = null) => ({
  txnId,
  sessionId: `ses-${txnId}`,
  protocol: '2pc' as const,
  kind: 'create',
  token,
  node: 'sm-1',
  request,
  idempotencyKey,
});
