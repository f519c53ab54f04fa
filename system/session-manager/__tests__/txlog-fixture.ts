// Shared by the transaction log's tests: the two targets one test body runs against (DESIGN section 9, "models kept
// honest"): the real PostgresTxLog on a private PostgreSQL (a fresh coordinator database per test), and the model
// of that database the simulator uses (harness/sim/models/txlog.ts) on a kernel's virtual clock. Also the intent rows the
// tests log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { type LocalEnvironmentHandle, startLocal } from '../../../harness/env/local.ts';
import { postgresUrl } from '../../../harness/env/types.ts';
import { Kernel } from '../../../harness/sim/kernel.ts';
import { TxLogModel } from '../../../harness/sim/models/txlog.ts';
import { connectPostgres, type Sql } from '../../common/pg.ts';
import type { Queryable } from '../../common/statements.ts';
import { PostgresTxLog, type SessionRequest, type TxLog } from '../txlog.ts';

/** An outbox row as a test reads it, whichever target holds it. */
export interface OutboxEntry {
  txnId: string;
  outcome: string;
  token: number;
  sent: boolean;
  streamId: string | null;
}

/** A fresh, empty transaction log on one target. */
export interface OpenedLog {
  log: TxLog;
  /** What the evidence readers (readTxnLog, readUnfinished) query. */
  evidence: Queryable;
  /**
   * Lets `ms` pass on the database's clock. The real server: every time it has stored moves `ms` back, which is
   * the same for every comparison our statements make, without the wait. The model: its kernel runs `ms` on.
   */
  elapse(ms: number): Promise<void>;
  /** The whole outbox, in id order. */
  outbox(): Promise<OutboxEntry[]>;
  /** The real server's pool, for the cases only it can run (a second session holding locks). */
  sql?: Sql;
}

export interface OpenOptions {
  /** False only for the planted bug no-fencing (PostgresTxLog's checkTokens). */
  fencing?: boolean;
  /** The real server ends a session idle inside a transaction after this long. */
  idleInTransactionMs?: number;
}

export interface Target {
  name: 'postgres' | 'model';
  open(opts?: OpenOptions): Promise<OpenedLog>;
}

/**
 * Both targets for a test file; the real one on a private PostgreSQL started before the file's tests and stopped
 * after them (`prefix` names its databases).
 */
export function targets(prefix: string): Target[] {
  return [postgresTarget(coordinatorDatabases(prefix)), modelTarget()];
}

/**
 * A case only the real server can run: run there, and skipped for the model with the reason in its name (never a
 * silent difference).
 */
export function realOnly(target: Target, modelLacks: string) {
  if (target.name !== 'model') return it;
  return (name: string, fn: () => Promise<void>) =>
    it.skip(`${name} [skipped for the model, which lacks ${modelLacks}]`, fn);
}

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

function postgresTarget(database: (idleInTransactionMs?: number) => Promise<Sql>): Target {
  return {
    name: 'postgres',
    async open(opts = {}) {
      const sql = await database(opts.idleInTransactionMs);
      const log = await PostgresTxLog.open(sql, 20_000, opts.fencing ?? true);
      return { log, evidence: sql, sql, elapse: (ms) => backdate(sql, ms), outbox: () => outboxOf(sql) };
    },
  };
}

function modelTarget(): Target {
  let seed = 0;
  return {
    name: 'model',
    async open(opts = {}) {
      const kernel = new Kernel(++seed);
      const model = new TxLogModel(kernel.clock('coordinator-db'), { fencing: opts.fencing ?? true });
      return {
        log: model,
        evidence: model.evidence,
        elapse: async (ms) => {
          await kernel.run({ untilMs: kernel.nowMs() + ms });
        },
        outbox: async () =>
          model.outboxRows().map((r) => ({
            txnId: r.txnId,
            outcome: r.outcome,
            token: r.token,
            sent: r.sentUs !== null,
            streamId: r.streamId,
          })),
      };
    },
  };
}

async function backdate(sql: Sql, ms: number): Promise<void> {
  const by = sql`${ms} * interval '1 millisecond'`;
  await sql.begin(async (tx) => {
    await tx`UPDATE txn SET created_at = created_at - ${by}, decided_at = decided_at - ${by},
                            closed_at = closed_at - ${by}, precommitted_at = precommitted_at - ${by}`;
    await tx`UPDATE outbox SET sent_at = sent_at - ${by}`;
    await tx`UPDATE fence_log SET raised_at = raised_at - ${by}`;
  });
}

async function outboxOf(sql: Sql): Promise<OutboxEntry[]> {
  const rows = await sql`SELECT txn_id, outcome, token, sent_at, stream_id FROM outbox ORDER BY id`;
  return rows.map((r) => ({
    txnId: String(r.txn_id),
    outcome: String(r.outcome),
    token: Number(r.token),
    sent: r.sent_at !== null,
    streamId: (r.stream_id as string | null) ?? null,
  }));
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
