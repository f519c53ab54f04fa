// What a participant service adds to the shared core: its schema and seed, its reservation statements, and the
// totals the conservation checker reads. Everything else (routes, 2PC, fencing, tombstones) is the core's.
import type { PrepareRequest, VoteNoReason } from './contract.ts';
import type { Queryable, Statements } from './statements.ts';

export interface Domain {
  /** Service name, as in `system/<service>/`. */
  readonly service: 'resource-manager' | 'billing';
  /** The service's SQL: numbered migrations and named statements. */
  readonly statements: Statements;
  /** Seeds the data on first start (idempotent: does nothing when already seeded). */
  seed(sql: Queryable): Promise<void>;
  /**
   * Reserves what `req` needs inside the (to be prepared) transaction `tx`, taking row locks in request order, and
   * says which resource it is about to lock through `locking` (e.g. `cell:cell-3`), so wait-for edges can name it.
   * Returns a reason to vote no (the core rolls back), or undefined when everything is reserved.
   */
  reserve(tx: Queryable, req: PrepareRequest, locking: (resource: string) => void): Promise<VoteNoReason | undefined>;
  /** Conservation totals over committed data (the checker compares them with what it expects). */
  totals(sql: Queryable): Promise<Record<string, unknown>>;
}
