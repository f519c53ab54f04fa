// The transaction log against a real PostgreSQL: an intent or a decision under the fence is refused and changes
// nothing (accepted only with the planted bug no-fencing), and a leader cut off mid-transaction while holding the
// fence row does not keep the next leader from raising the fence.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEnvironmentHandle, startLocal } from '../../../harness/env/local.ts';
import { postgresUrl } from '../../../harness/env/types.ts';
import { connectPostgres, type Sql } from '../../common/pg.ts';
import { PostgresTxLog, type SessionRequest } from '../txlog.ts';

let dir: string;
let env: LocalEnvironmentHandle;
const pools: Sql[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rig-txlog-'));
  env = await startLocal({ dir });
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end({ timeout: 5 })));
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty coordinator database and a pool on it. */
async function database(idleInTransactionMs?: number): Promise<Sql> {
  const name = await env.createDatabase(`coordinator_${pools.length}`);
  const sql = connectPostgres(postgresUrl(env.postgres, name), 4, idleInTransactionMs);
  pools.push(sql);
  return sql;
}

const request: SessionRequest = {
  subscriberId: 'imsi-001010000000001',
  trafficClass: 'voice',
  protocol: '2pc',
  cells: ['cell-1'],
  amount: 1,
};

const intent = (txnId: string, token: number) => ({
  txnId,
  sessionId: `ses-${txnId}`,
  protocol: '2pc' as const,
  kind: 'create',
  token,
  node: 'sm-1',
  request,
  idempotencyKey: `client:${txnId}`,
});

describe('transaction log fencing', () => {
  it('refuses an intent and a decision under the fence, and neither changes anything', async () => {
    const log = await PostgresTxLog.open(await database(), 10_000);
    await log.insertIntent(intent('t1', 1));
    await log.raiseFence(2);
    await expect(log.insertIntent(intent('t2', 1))).rejects.toMatchObject({ code: 'stale_token' });
    await expect(log.decide('t1', 'commit', null, 1, 'sm-1', 0)).rejects.toMatchObject({ code: 'stale_token' });
    expect(await log.get('t2')).toBeUndefined();
    expect(await log.get('t1')).toMatchObject({ decision: null });
    expect(await log.decide('t1', 'abort', 'recovered', 2, 'sm-2', 0)).toEqual({
      decision: 'abort',
      reason: 'recovered',
    });
  });

  it('accepts both under the fence only with the planted bug no-fencing', async () => {
    const log = await PostgresTxLog.open(await database(), 10_000, false);
    await log.raiseFence(2);
    expect(await log.insertIntent(intent('t1', 1))).toBe('inserted');
    expect(await log.decide('t1', 'commit', null, 1, 'sm-1', 0)).toEqual({ decision: 'commit', reason: null });
    expect(await log.get('t1')).toMatchObject({ token: 1, decisionToken: 1 });
  });

  it('raises the fence while a cut-off leader sits in a transaction holding the fence row', async () => {
    const sql = await database(300);
    // The raise's own deadline is far longer than the server's idle-in-transaction limit: it must get through
    // because the server ends the idle holder, not because it gave up.
    const log = await PostgresTxLog.open(sql, 20_000);
    let release!: () => void;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => {
      locked = resolve;
    });
    // A decision's first step, then silence, as when the partition holds the leader's next statement.
    const holder = sql.begin(async (tx) => {
      await tx`SELECT epoch FROM fence WHERE id = 1 FOR SHARE`;
      locked();
      await hold;
      await tx`UPDATE txn SET reason = 'late' WHERE false`;
    });
    const holderOutcome = holder.then(
      () => 'committed',
      () => 'ended by the server',
    );
    await holding;
    await log.raiseFence(2);
    release();
    expect(await holderOutcome).toBe('ended by the server');
    await expect(log.insertIntent(intent('t1', 1))).rejects.toMatchObject({ code: 'stale_token' });
  });
});
