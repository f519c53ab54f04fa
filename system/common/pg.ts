// Real adapter: PostgreSQL behind the stores' ports, its deadlines on Node's timers (a simulation replaces it whole).
// PostgreSQL connections for the services, migrations from numbered .sql files, and a deadline for any query:
// a partition can leave a socket silent, and no step of a transaction may wait forever.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { ServiceError } from './errors.ts';

export type Sql = postgres.Sql;

/**
 * `idleInTransactionMs`: the server ends a session that sits inside a transaction, waiting for its client, longer
 * than this, and so frees the locks it held; without it a client cut off mid-transaction holds them until the
 * partition heals.
 */
export function connectPostgres(url: string, max: number, idleInTransactionMs?: number): Sql {
  return postgres(url, {
    max,
    connect_timeout: 5,
    idle_timeout: 30,
    onnotice: () => {},
    ...(idleInTransactionMs ? { connection: { idle_in_transaction_session_timeout: idleInTransactionMs } } : {}),
  });
}

/**
 * Applies `dir`'s `NNNN_name.sql` files in order; each file must be idempotent (IF NOT EXISTS, ON CONFLICT).
 * Several instances start at once (three session managers), and concurrent CREATE ... IF NOT EXISTS can still
 * collide in the catalog, so the whole migration runs under a transaction-scoped advisory lock.
 */
export async function migrate(sql: Sql, dir: string): Promise<void> {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort();
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext(${`rig-migrate:${dir}`}))`;
    for (const f of files) await tx.unsafe(readFileSync(join(dir, f), 'utf8'));
  });
}

/** Rejects with an indeterminate timeout if `work` has not settled within `ms` (the work itself may still land). */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServiceError('timeout', `${what} took longer than ${ms} ms`, {}, false)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
