// The participant's durable state in its own Postgres database: the txn rows, PostgreSQL's prepared transactions
// (gid `<node>:<txnId>`; the Postgres cluster is shared by every database, so gids carry the node and every read
// of pg_prepared_xacts is filtered by this database), the pre-commit rows and the fencing token. The Postgres
// implementation of the core's ParticipantStore and FenceStore ports (ports.ts).
import type postgres from 'postgres';
import type { Clock } from '../common/clock.ts';
import type { PrepareRequest } from '../common/contract.ts';
import { type Param, type Statements, toSafeInt } from '../common/statements.ts';
import type { Domain, Reservation } from './domain.ts';
import { refusalOf, storeFailure, voteReasonFor } from './errors.ts';
import type { InFlightPrepares } from './inflight.ts';
import type { FenceStore, ParticipantStore, PreparedTxn, PrepareOutcome, TxnFacts } from './ports.ts';
import { deriveState } from './state.ts';

const gidPattern = /^[A-Za-z0-9._:-]{1,200}$/;

export class TxnStore implements ParticipantStore, FenceStore {
  constructor(
    private readonly sql: postgres.Sql,
    private readonly node: string,
    private readonly statements: Statements,
    /** The domain whose reservation statements `prepare` runs and whose totals `totals` reads. */
    private readonly domain: Domain,
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
   * the same txn stops it at once, answered `existing`), then the domain's reservations `planned`, in request order, then
   * PREPARE TRANSACTION, which makes the yes vote durable and keeps the row locks. A no vote rolls everything
   * back. While it runs it is registered in `inflight`, so its lock waits can be named and, if the leader picks it
   * as a deadlock victim, cancelled.
   *
   * All of it goes out in one write, on a connection of its own: one round trip where a statement at a time took
   * three or more (measured in docs/system.md). That is safe because every statement that cannot do its part
   * raises (participant_refuse, sql/0002_refuse.sql): PostgreSQL then skips the statements after it in the failed
   * transaction, and PREPARE TRANSACTION in a failed transaction is a ROLLBACK. So the connection is idle again
   * once the last answer is in, whatever happened. PREPARE TRANSACTION is a plain statement (a prepared statement
   * per gid would be a new named statement for every transaction, kept by the connection and the server).
   *
   * Answers come in order, each as its statement ends and the next one starts, which is when the next resource
   * starts being locked. A victim chosen between two reservations cannot stop the one after it, already sent;
   * the detector cancels again while the wait is still there, and a prepare that got all its locks no longer
   * waits, so the cycle is broken either way. It votes yes then: it is prepared, and the leader, which logged the
   * victim's abort before cancelling, aborts it.
   */
  async prepare(txnId: string, req: PrepareRequest, planned: Reservation[]): Promise<PrepareOutcome> {
    const detail = JSON.stringify({
      kind: req.kind,
      subscriberId: req.subscriberId,
      cells: req.cells,
      amount: req.amount,
      ...(req.release ? { release: req.release } : {}),
    });
    const params = [txnId, req.token, req.sessionId, req.protocol, detail, this.gid(txnId)];
    // From the txn row's answer (the first reservation starts) to the last reservation's answer or the failure.
    let startedMs: number | undefined;
    let reservedMs: number | undefined;
    let lockWaitMs = 0;
    // The answer to the statement before reservation `i` is in: reservation `i` runs now (or, past the last, none).
    const nowLocking = (i: number) => {
      const nowMs = this.clock.monotonicMs();
      startedMs ??= nowMs;
      const next = planned[i];
      if (next) this.inflight.locking(txnId, next.resource, nowMs);
      else {
        reservedMs = nowMs;
        this.inflight.reserved(txnId);
      }
    };
    let tx: postgres.ReservedSql | undefined;
    try {
      const conn = await this.sql.reserve();
      tx = conn;
      // execute() puts each on the wire now, in this order (an awaited query is sent a microtask later).
      const send = (text: string, args: Param[] = []) =>
        conn.unsafe(text, args, { prepare: args.length > 0 }).execute();
      const answers = await Promise.allSettled([
        send('BEGIN'),
        send(this.statements.text('txn_insert_committed'), params).then(([row]) => {
          this.inflight.register(txnId, Number(row?.pid), String(row?.xid));
          nowLocking(0);
        }),
        ...planned.map((r, i) =>
          send(this.domain.statements.text(r.statement), r.params).then(() => nowLocking(i + 1)),
        ),
        send(this.withGid('prepare_transaction', txnId)),
      ]);
      if (startedMs !== undefined) lockWaitMs = (reservedMs ?? this.clock.monotonicMs()) - startedMs;
      const failed = answers.find((a) => a.status === 'rejected');
      if (failed) throw failed.reason;
      const last = answers.at(-1) as PromiseFulfilledResult<{ command?: string }>;
      if (last.value.command !== 'PREPARE TRANSACTION')
        throw new Error(`PREPARE TRANSACTION answered ${last.value.command}`);
      return { lockWaitMs };
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal === 'existing') return { existing: true, lockWaitMs };
      if (refusal) return { reason: refusal, lockWaitMs };
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
  totals(): Promise<Record<string, unknown>> {
    return this.guard(this.domain.totals(this.sql));
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
