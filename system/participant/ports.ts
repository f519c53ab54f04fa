// The participant core's ports: what participant.ts, decision-query.ts and build.ts need of the storage under
// them, stated by the core and implemented by the adapters. The Postgres adapters are TxnStore (store.ts: the txn
// rows, prepared transactions and the fence row) and WaitGraph (waits.ts: pg_locks); an in-memory model of
// PostgreSQL's prepared transactions can implement the same ports for a deterministic simulation (issue 23).
//
// Two storage interfaces, not one: `ParticipantStore` is request-driven (each call is statements on the txn's own
// rows), while `LockWaits` is the reading of the lock table, which the Postgres adapter does in a background loop
// with a lifecycle, a cache and records of its own. Kept apart, each Postgres class implements one port as it is,
// with no forwarding layer between them; a model, where the prepared transactions and the lock table are one
// state, implements both on one object.
import type { PrepareRequest, TxnState, VoteNoReason } from '../common/contract.ts';
import type { Reservation } from './domain.ts';

export interface TxnFacts {
  state: TxnState;
  token: number | null;
}

export interface PrepareOutcome {
  /** Set when the prepare votes no (its transaction was rolled back). */
  reason?: VoteNoReason;
  /**
   * Nothing was done because the txn is prepared here already or has a durable outcome (a repeated prepare, or
   * one after an abort): the caller reads the state to answer.
   */
  existing?: true;
  /** Time spent in the reservation statements, which is where row locks are waited for. */
  lockWaitMs: number;
}

export interface PreparedTxn {
  txnId: string;
  ageMs: number;
  /** 3PC: ms since its pre-commit was recorded; null when not pre-committed. */
  precommitAgeMs: number | null;
}

/**
 * The durable state of the transactions at one participant. A store that cannot answer rejects; an error that
 * carries a `code` answers 503 unavailable (errors.ts, storeFailure).
 */
export interface ParticipantStore {
  /** The txn's state as derived from what is durable (state.ts), and the token that put it there. */
  facts(txnId: string): Promise<TxnFacts>;
  /**
   * Records the txn, takes `reservations` in order (waiting for their row locks), then prepares: a yes vote is
   * durable and keeps the locks. A no vote (`reason`) leaves nothing behind; `existing` changes nothing.
   */
  prepare(txnId: string, req: PrepareRequest, reservations: Reservation[]): Promise<PrepareOutcome>;
  /** 3PC: records the pre-commit if the txn is prepared here; false when it was not recorded now. */
  precommit(txnId: string, token: number): Promise<boolean>;
  /** Commits the prepared txn; false when no such prepared transaction exists (resolved by someone else). */
  commitPrepared(txnId: string): Promise<boolean>;
  /** Rolls the prepared txn back; false when no such prepared transaction exists. */
  rollbackPrepared(txnId: string): Promise<boolean>;
  /** Records the txn as aborted, so that a late prepare of it is refused. */
  tombstone(txnId: string, token: number, sessionId: string | null, reason: string): Promise<void>;
  /** This participant's prepared transactions, oldest first, at most `limit`. */
  prepared(limit: number): Promise<PreparedTxn[]>;
  /** The domain's conservation totals over committed data. */
  totals(): Promise<Record<string, unknown>>;
}

export interface WaitEdge {
  /** The waiting transaction. */
  txnId: string;
  /** The transaction it waits for (`pid:<n>` for a backend that is not one of our transactions). */
  waitsFor: string;
  resource: string | null;
  /** How long it has waited so far. */
  waitedMs: number;
}

export interface WaitsSnapshot {
  edges: WaitEdge[];
  /** Age of the reading, in ms (0: read for this request). */
  ageMs: number;
}

/** Who waits for whom among the running prepares, and the deadlock detector's way to break a cycle. */
export interface LockWaits {
  /** The current wait-for edges. */
  snapshot(): Promise<WaitsSnapshot>;
  /**
   * Makes a running prepare a deadlock victim: it votes no (`deadlock_victim`) and stops waiting for its lock.
   * Returns whether the prepare was running here.
   */
  cancel(txnId: string): Promise<boolean>;
}

/** Where the fence (fence.ts) keeps the highest leader token seen. */
export interface FenceStore {
  highestToken(): Promise<number>;
  /** Durably raises the stored token to at least `token`; resolves with the stored value. */
  raiseToken(token: number): Promise<number>;
}
