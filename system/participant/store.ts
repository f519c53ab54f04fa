// The participant's durable state in its own Postgres database: the txn rows, PostgreSQL's prepared transactions
// (gid `<node>:<txnId>`; the Postgres cluster is shared by every database, so gids carry the node and every read
// of pg_prepared_xacts is filtered by this database), the pre-commit rows and the fencing token.
import type postgres from 'postgres';
import type { Clock } from '../common/clock.ts';
import type { PrepareRequest, TxnState, VoteNoReason } from './contract.ts';
import type { Domain } from './domain.ts';
import { storeFailure, voteReasonFor } from './errors.ts';
import type { InFlightPrepares } from './inflight.ts';
import { deriveState } from './state.ts';
import { type Statements, toSafeInt } from './statements.ts';

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

class VoteNo extends Error {
  constructor(readonly reason: VoteNoReason) {
    super(reason);
  }
}

/** Thrown inside the prepare's transaction to roll it back when the txn row says it is not new. */
class Existing extends Error {}

const gidPattern = /^[A-Za-z0-9._:-]{1,200}$/;

export class TxnStore {
  constructor(
    private readonly sql: postgres.Sql,
    private readonly node: string,
    private readonly statements: Statements,
    private readonly clock: Clock,
    private readonly inflight: InFlightPrepares,
  ) {}

  gid(txnId: string): string {
    const gid = `${this.node}:${txnId}`;
    // The gid is substituted into PREPARE/COMMIT/ROLLBACK PREPARED literals; contract.ts and config.ts restrict
    // txn ids and node names so that this always holds.
    if (!gidPattern.test(gid)) throw new Error(`gid ${JSON.stringify(gid)} has characters that need quoting`);
    return gid;
  }

  async facts(txnId: string): Promise<TxnFacts> {
    const [row] = await this.guard(this.statements.run(this.sql, 'txn_state', [txnId, this.gid(txnId)]));
    const rowState = row?.row_state === 'committed' || row?.row_state === 'aborted' ? row.row_state : undefined;
    const precommitToken = row?.precommit_token ?? null;
    const state = deriveState({ rowState, prepared: row?.prepared === true, precommitted: precommitToken !== null });
    let token: number | null = null;
    if (rowState) token = toSafeInt(row?.row_token, 'participant_txn.token');
    else if (state === 'precommitted') token = toSafeInt(precommitToken, 'participant_precommit.token');
    return { state, token };
  }

  /**
   * Reserves and prepares in one transaction: the txn row first (a prepared transaction or a durable outcome of
   * the same txn stops it at once, answered `existing`), then the domain's reservations in request order, then
   * PREPARE TRANSACTION, which makes the yes vote durable and keeps the row locks. A no vote rolls everything
   * back. While it runs it is registered in `inflight`, so its lock waits can be named and, if the leader picks it
   * as a deadlock victim, cancelled.
   *
   * On a connection of its own, not postgres.js's `begin`: BEGIN goes out in the same write as the txn row's
   * insert (one round trip for both), and PREPARE TRANSACTION as a plain statement (`begin` would send it as a
   * new named prepared statement for every gid, kept by the connection and the server for the connection's life).
   */
  async prepare(txnId: string, req: PrepareRequest, domain: Domain): Promise<PrepareOutcome> {
    let lockWaitMs = 0;
    const detail = JSON.stringify({ subscriberId: req.subscriberId, cells: req.cells, amount: req.amount });
    let tx: postgres.ReservedSql | undefined;
    let open = false;
    try {
      tx = await this.sql.reserve();
      const begun = tx.unsafe('BEGIN').execute();
      open = true;
      const params = [txnId, req.token, req.sessionId, req.protocol, detail, this.gid(txnId)];
      const insert = this.statements.run(tx, 'txn_insert_committed', params);
      // Both are on the wire now; BEGIN cannot fail on an idle connection, and if the connection breaks both do.
      const [, [inserted]] = await Promise.all([begun, insert]);
      if (!inserted) throw new Existing();
      this.inflight.register(txnId, Number(inserted.pid), String(inserted.xid));
      const started = this.clock.monotonicMs();
      let reason: VoteNoReason | undefined;
      try {
        reason = await domain.reserve(tx, req, (resource) => {
          // Chosen as a victim while between lock waits: stop before taking the next lock.
          if (this.inflight.isVictim(txnId)) throw new VoteNo('deadlock_victim');
          this.inflight.locking(txnId, resource, this.clock.monotonicMs());
        });
      } finally {
        lockWaitMs = this.clock.monotonicMs() - started;
        this.inflight.reserved(txnId);
      }
      if (reason) throw new VoteNo(reason);
      // Chosen as a victim between statements (nothing to cancel then): vote no all the same.
      if (this.inflight.isVictim(txnId)) throw new VoteNo('deadlock_victim');
      // Whether it succeeds or fails, PREPARE TRANSACTION ends the transaction on this connection.
      open = false;
      await tx.unsafe(this.withGid('prepare_transaction', txnId));
      return { lockWaitMs };
    } catch (err) {
      if (open) await tx?.unsafe('ROLLBACK').catch(() => {});
      if (err instanceof Existing) return { existing: true, lockWaitMs };
      if (err instanceof VoteNo) return { reason: err.reason, lockWaitMs };
      if (this.inflight.isVictim(txnId)) return { reason: 'deadlock_victim', lockWaitMs };
      const reason = voteReasonFor(err);
      if (reason) return { reason, lockWaitMs };
      throw storeFailure(err);
    } finally {
      tx?.release();
      this.inflight.done(txnId);
    }
  }

  /** A statement whose `':gid'` is this txn's gid (checked by `gid` to need no quoting). */
  private withGid(statement: string, txnId: string): string {
    return this.statements.text(statement).replaceAll("':gid'", `'${this.gid(txnId)}'`);
  }

  /** COMMIT PREPARED; false when no such prepared transaction exists (resolved by someone else). */
  commitPrepared(txnId: string): Promise<boolean> {
    return this.finishPrepared('commit_prepared', txnId);
  }

  /** ROLLBACK PREPARED; false when no such prepared transaction exists. */
  rollbackPrepared(txnId: string): Promise<boolean> {
    return this.finishPrepared('rollback_prepared', txnId);
  }

  private async finishPrepared(statement: string, txnId: string): Promise<boolean> {
    try {
      await this.sql.unsafe(this.withGid(statement, txnId));
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code === '42704') return false; // undefined_object: no such gid
      throw storeFailure(err);
    }
  }

  async tombstone(txnId: string, token: number, sessionId: string | null, reason: string): Promise<void> {
    await this.guard(this.statements.run(this.sql, 'txn_tombstone', [txnId, token, sessionId, reason]));
  }

  /** 3PC: records the pre-commit if the txn is prepared here; false when it was not recorded now. */
  async precommit(txnId: string, token: number): Promise<boolean> {
    const rows = await this.guard(this.statements.run(this.sql, 'precommit_insert', [txnId, token, this.gid(txnId)]));
    return rows.length === 1;
  }

  async highestToken(): Promise<number> {
    const [row] = await this.guard(this.statements.run(this.sql, 'fence_get'));
    return toSafeInt(row?.highest_token, 'participant_fence.highest_token');
  }

  /** Durably raises the fencing token; returns the stored value (never lower than `token`). */
  async raiseToken(token: number): Promise<number> {
    const [row] = await this.guard(this.statements.run(this.sql, 'fence_raise', [token]));
    return toSafeInt(row?.highest_token, 'participant_fence.highest_token');
  }

  /** The domain's conservation totals over committed data. */
  totals(domain: Domain): Promise<Record<string, unknown>> {
    return this.guard(domain.totals(this.sql));
  }

  /** This participant's prepared transactions, oldest first. */
  async prepared(limit: number): Promise<PreparedTxn[]> {
    const rows = await this.guard(this.statements.run(this.sql, 'prepared_list', [`${this.node}:`, limit]));
    return rows.map((r) => ({
      txnId: String(r.txn_id),
      ageMs: Number(r.age_ms),
      precommitAgeMs: r.precommit_age_ms === null ? null : Number(r.precommit_age_ms),
    }));
  }

  private async guard<T>(query: Promise<T>): Promise<T> {
    try {
      return await query;
    } catch (err) {
      throw storeFailure(err);
    }
  }
}
