// What a participant service adds to the shared core: its schema and seed, its reservation statements, and the
// totals the conservation checker reads. Everything else (routes, 2PC, fencing, tombstones) is the core's.
import type { PrepareRequest, VoteNoReason } from '../common/contract.ts';
import type { Param, Queryable, Statements } from '../common/statements.ts';

/** One reservation inside the transaction to be prepared. */
export interface Reservation {
  /** What it locks, e.g. `cell:cell-3`: wait-for edges name it while the statement waits. */
  resource: string;
  /**
   * One of the domain's named statements. It must raise through `participant_refuse(reason)` (SQLSTATE RGV01,
   * sql/0002_refuse.sql) when it cannot reserve, not return nothing: the prepare's statements are sent together,
   * and only an error stops the ones after it.
   */
  statement: string;
  params: Param[];
}

/** The domain's rule that the core runs itself: what a prepare reserves, and in which order. */
export interface DomainRules {
  /**
   * The reservations `req` needs, in the order their row locks are to be taken; or the reason to vote no without
   * trying (e.g. nothing to reserve).
   */
  reservations(req: PrepareRequest): Reservation[] | VoteNoReason;
}

/** The rules plus the domain's SQL, which only the Postgres store (store.ts) and the process (run.ts) use. */
export interface Domain extends DomainRules {
  /** Service name, as in `system/<service>/`. */
  readonly service: 'resource-manager' | 'billing';
  /** The service's SQL: numbered migrations and named statements. */
  readonly statements: Statements;
  /** Seeds the data on first start (idempotent: does nothing when already seeded). */
  seed(sql: Queryable): Promise<void>;
  /** Conservation totals over committed data (the checker compares them with what it expects). */
  totals(sql: Queryable): Promise<Record<string, unknown>>;
}
