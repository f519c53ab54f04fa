// A model of one participant's PostgreSQL database (the resource manager's cells, or billing's accounts) as the
// participant service uses it, for the deterministic simulation (DESIGN section 9). It implements the ports the
// Postgres adapters implement (system/participant/ports.ts): ParticipantStore and FenceStore as TxnStore
// (system/participant/store.ts) does, LockWaits as WaitGraph (waits.ts, with inflight.ts) reports pg_locks, by
// re-implementing our statements (the files in `follows`), not PostgreSQL in general:
//
// - Transactions: a prepare is one transaction (txn_insert_committed, the domain's reservations in order, PREPARE
//   TRANSACTION), run synchronously up to a row lock it has to wait for. A prepared transaction keeps its changes
//   and row locks, invisible to others, until COMMIT PREPARED or ROLLBACK PREPARED; it survives crash(), which
//   rolls back every transaction not yet prepared, as the service's connections closing does.
// - Row locks, READ COMMITTED: a statement checks its WHERE on its snapshot of the row (committed data, or its own
//   change); a row that fails it is not locked and the statement's CASE picks the refusal from that snapshot. A row
//   that passes but is locked by another transaction is waited for, FIFO per row; once the holder ends, the WHERE
//   is checked again on the newest version (EvalPlanQual), and the refusal, if any, still comes from the snapshot.
// - Waits end with the lock, or with lock_timeout (55P03: vote lock_timeout; 0 waits for ever, the planted bug
//   no-lock-timeout), or with PostgreSQL's deadlock check run deadlock_timeout into the wait (40P01: the checking
//   waiter, if it is on a cycle, votes deadlock; on a tie with lock_timeout the lock timeout is reported), or with
//   cancel() (57014: vote deadlock_victim). As in PostgreSQL, the first waiter of a row waits for the holder's
//   transaction and the others for the tuple lock that waiter holds: a waiter's timers start again when it becomes
//   the first (pg_locks.waitstart), and pg_blocking_pids names the first waiter and those ahead (soft blocks).
// - The participant_txn rows (the committed row inserted inside the prepared transaction, tombstones), the
//   pre-commit rows, the fence row, each with their statements' guards and CHECKs.
// Every state change happens synchronously inside a call (or a timer), before its promise settles.
import type { Clock, TimerHandle } from '../../../system/common/clock.ts';
import type { PrepareRequest, VoteNoReason } from '../../../system/common/contract.ts';
import type { Logger } from '../../../system/common/log.ts';
import { type DbRow, type Param, type Queryable, Statements } from '../../../system/common/statements.ts';
import type { Reservation } from '../../../system/participant/domain.ts';
import { storeFailure } from '../../../system/participant/errors.ts';
import type {
  FenceStore,
  LockWaits,
  ParticipantStore,
  PreparedTxn,
  PrepareOutcome,
  TxnFacts,
  WaitEdge,
  WaitsSnapshot,
} from '../../../system/participant/ports.ts';
import { deriveState } from '../../../system/participant/state.ts';
import { billingModel, type DomainModel, type Row, rmModel, type SeedSizes } from './domains.ts';

/**
 * The files this model follows (its statements and migrations, and the adapters whose mapping of them it repeats),
 * with the SHA-256 of each as last read: participant-follows.test.ts fails when one changes.
 */
export const follows: Readonly<Record<string, string>> = {
  'system/billing/sql/0001_schema.sql': '4e7d1ab15c30782d2918ea96cbb964da756a8d2b51a72707cb92cc0fac2e3f85',
  'system/billing/sql/0002_fillfactor.sql': '6e89da9b8b87b5db2ba657d4c916b917ac0cd2d53cbfc37d434334bb34658801',
  'system/billing/sql/0003_charged.sql': '097087b0ea13f97701f5f120f51e1d8e27964636bc9214515efa5006fb005644',
  'system/billing/sql/adjust_hold.sql': '7dcf09fe9f5464169c37ba2a97aa971e52cdf3f163a6f900a52e5561e87f7133',
  'system/billing/sql/evidence_accounts.sql': '3844bc8b66ac18ad2173dd7654d8cacf8fe8e4679dbeaea4b4505584156ac01e',
  'system/billing/sql/hold.sql': 'b817c0c1e82e50057d28e3d54a338d4bb999166f9155968b40f2ee8c47ba6e28',
  'system/billing/sql/negative.sql': 'ac9cda0ed84c0f2c5664f6bb72c5a44aa9d10a9c240fab529fc0d89d7fafe83e',
  'system/billing/sql/seed.sql': '052beee973b3a4bb256e9aadf0a1bbc5c9394d30cd79f13f2ff4a6d6458beaab',
  'system/billing/sql/settle.sql': 'e53f2e0c94a5c1a31d4bec564a4dd27b264883933234181e703da899712dea2e',
  'system/billing/sql/totals.sql': 'c153791367c086078ef7008188744e3713c6d96330d70f5760d33d31aad49aaa',
  'system/participant/sql/0001_participant.sql': 'f26f4a95a19fa8cfdb803edf3a9611aec31a35f17c1321d017ef3ad44a63f135',
  'system/participant/sql/0002_refuse.sql': 'fbe92d17a3717664f0fc679e79a2bb4eba915adea69527eb717393b694549065',
  'system/participant/sql/0003_statistics.sql': 'de8e83739e7f69e9b7c2b96666e78f1f08fd29011abe34f3714fe01a04e3a159',
  'system/participant/sql/cancel_backend.sql': '70e7871ff9fb411a653773123864f8b07a3ee75cd92196c451f4edf5618397ff',
  'system/participant/sql/commit_prepared.sql': '72229457888b71610f5d2716ce184a2a1c09977c48fd51e8889c7e0b0bb510a1',
  'system/participant/sql/evidence_prepared.sql': '8b933faebaf4ef8fe8011b1e5780354731618208a0bb91d3d44a83c5017472fb',
  'system/participant/sql/evidence_prepared_count.sql':
    'affee48a7f60f82bbe6d03eea14a309e4a6f45307c61c124509b7edca1ad12d2',
  'system/participant/sql/evidence_txn.sql': '19acdfbece5edd0b7586c53ead2a246f1c293debcb226618258b274d0d94fe9f',
  'system/participant/sql/fence_get.sql': '0b5c6c6252b9c0e83cc3865ce6b4a70a23a204ad61cb5e01593a245e101abe10',
  'system/participant/sql/fence_raise.sql': 'ebf17893f67bc913015348034b66071f5b97d99a095322d0ba48a2da3071a373',
  'system/participant/sql/precommit_insert.sql': '803f5f07721a0e65b5434f8989f5637037750c91ded9b0dedb29492cd161839c',
  'system/participant/sql/prepare_transaction.sql': 'f63551b61efa53371d2b8be02f68795f211ae13445d303d7f0ee3bffaf9814fc',
  'system/participant/sql/prepared_list.sql': 'c7e1bb9ddb8e727c8b693f6c6c34dd4779f291ef711e10ead2385196ff69cef0',
  'system/participant/sql/rollback_prepared.sql': 'f7fbd30775cbab48776f883a9e0726e2cfc9e67fa00b0e329a03ffccbf65a037',
  'system/participant/sql/txn_insert_committed.sql': 'f84660c194e3b79ea37725d43e1b7d7e62dd161080a6fca993e7f60a9a5c666d',
  'system/participant/sql/txn_state.sql': '6e7c8f79d3c4306968c85c2d8662e47a57fffed517638643266f1e5fe0ae0195',
  'system/participant/sql/txn_tombstone.sql': '92ba6dba576a5455706922ac7db9525005df32479f445ccf17c1054fb087f5b1',
  'system/participant/sql/waits.sql': '28e0ad54b05a095e0e3c5ce03f37ed9cca9c038a654dd9f3d14e277c06e23978',
  'system/resource-manager/sql/0001_schema.sql': 'aa418fb0f631a58b1e63790098f51eddb14c954e6ce201ee3e467c267fafe775',
  'system/resource-manager/sql/evidence_cells.sql': 'c235cd2d20caae7420fa597a14e4b01e19e7b118d39ce4f9480279b42aa961bb',
  'system/resource-manager/sql/overbooked.sql': '3b93ddcf4d27a5901d192d08bb6cc72737c9f505776cdf11981d3a1536136f4f',
  'system/resource-manager/sql/release_cell.sql': '325bcbcfdc2ffc43e930be62c86cd3489719f730507a8c1e819a3f2430e035ad',
  'system/resource-manager/sql/reserve_cell.sql': '842e851525c6ffe8a3890907869892d4bc0c4fbf10557f02eb689b597b2b4579',
  'system/resource-manager/sql/seed.sql': '414ff389dae39a457325a49929d72ddc5c296d4846edd123a0d89e7a55c87654',
  'system/resource-manager/sql/totals.sql': '1154aa6441f906e0cde0828b975a22bf95c3b8c5680a5c3559c8cb57718a9b53',
  'system/participant/store.ts': 'cc38fe849aafa53dc92d58f2f4d94a5752bec94b6e1a2d00b2081e62acb2ffbf',
  'system/participant/waits.ts': '4935f24dc5cce89402ca3e763046e069677414aa7f0c716b2ea507033eca5e8d',
  'system/participant/inflight.ts': '3060921a3400ff282af432c29348b351e3b35b93db7288530366ede34a07f03e',
  'system/resource-manager/domain.ts': '141a8a53f77a0b08fa1d6c87838c97fee4f22194c9faf7f0ac2d049ded0dbe0e',
  'system/billing/domain.ts': 'ca8edf7db7547e85cb5444bc5bd3955d0706124f177bae6df0e57465f7825164',
};

export type DomainName = 'rm' | 'billing';

export interface ParticipantModelOptions extends SeedSizes {
  domain: DomainName;
  node: string;
  /** lock_timeout (RIG_LOCK_TIMEOUT_MS); 0 waits for ever (the planted bug no-lock-timeout, as config.ts sets it). */
  lockTimeoutMs: number;
  /** deadlock_timeout; PostgreSQL's default (1000), which our servers keep, when absent. */
  deadlockTimeoutMs?: number;
  /** WaitGraph's reading interval (RIG_WAITS_INTERVAL_MS, default 50). */
  waitsIntervalMs?: number;
  /** Where WaitGraph's `lock-wait` and `deadlock-victim-cancelled` observations go; none when absent. */
  logger?: Logger;
}

interface TxnRow {
  state: 'committed' | 'aborted';
  token: number;
  sessionId: string | null;
  protocol: string | null;
  reason: string | null;
  detail: unknown;
  recordedAtMs: number;
}

/** A database transaction: a prepare's (running, then prepared) or a tombstone's (autocommit). */
interface Txn {
  readonly seq: number;
  readonly txnId: string;
  /** now() inside it (transaction start, wall ms): the recorded_at of the row it inserts. */
  readonly startedAtMs: number;
  /** Its participant_txn insert, visible to others once committed. */
  row?: TxnRow;
  /** Its versions of the domain rows it updated, by id. */
  readonly writes: Map<string, Row>;
  /** Lock keys it holds, in the order taken. */
  readonly locks: string[];
  wait?: Wait;
  /** Set by PREPARE TRANSACTION. */
  gid?: string;
  preparedAtMs?: number;
  /** A prepare registered in flight (InFlightPrepares): from its txn row's insert to its end. */
  inflight?: InFlight;
}

interface InFlight {
  txn: Txn;
  resource: string | null;
  lockingSinceMs: number | null;
  victim: boolean;
}

interface Wait {
  readonly txn: Txn;
  readonly key: string;
  /** When its current lock wait began (wall ms, pg_locks.waitstart). */
  sinceMs: number;
  timers: TimerHandle[];
  granted(): void;
  failed(err: DbError): void;
}

type DbError = Error & { code: string };
const dbError = (code: string, message: string): DbError => Object.assign(new Error(message), { code });
const lockTimeout = () => dbError('55P03', 'canceling statement due to lock timeout');
const deadlockDetected = () => dbError('40P01', 'deadlock detected');
const queryCanceled = () => dbError('57014', 'canceling statement due to user request');
const checkViolation = (table: string) =>
  dbError('23514', `new row for relation "${table}" violates check constraint "${table}_token_check"`);

/** The vote a failed reservation's error gives (store.ts: voteReasonFor, the victim check before it). */
const reasonByCode: Record<string, VoteNoReason> = {
  '55P03': 'lock_timeout',
  '40P01': 'deadlock',
  '57014': 'deadlock_victim',
};

const gidPattern = /^[A-Za-z0-9._:-]{1,200}$/;
const edgesMax = 10_000;

export class ParticipantModel implements ParticipantStore, LockWaits, FenceStore {
  /** Answers the evidence statements by their text, as readParticipantTxns, readLeftPrepared, countPrepared,
   * readCells / readAccounts and the domain's totals() run them. */
  readonly evidence: Queryable;
  private readonly domain: DomainModel;
  /** Committed domain rows, and their ids ordered as `ORDER BY id` orders them. */
  private readonly table: Map<string, Row>;
  private readonly sortedIds: string[];
  /** Committed participant_txn rows, in commit order. */
  private readonly txnRows = new Map<string, TxnRow>();
  private readonly precommits = new Map<string, { token: number; recordedAtMs: number }>();
  private highest = 0;
  /** Prepared transactions by gid, in the order prepared. */
  private readonly preparedByGid = new Map<string, Txn>();
  /** Every transaction not yet ended. */
  private readonly live = new Set<Txn>();
  private readonly locks = new Map<string, { holder: Txn; queue: Wait[] }>();
  private readonly inflight = new Map<string, InFlight>();
  private readonly wakeups: Array<() => void> = [];
  private draining = false;
  private seq = 0;
  private readonly lockTimeoutMs: number;
  private readonly deadlockTimeoutMs: number;
  private readonly waitsIntervalMs: number;
  /** WaitGraph's reading: edges by waiter>holder>resource, and when it was read (monotonic ms). */
  private tracked = new Map<string, { edge: WaitEdge; startMs: number }>();
  private readAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly opts: ParticipantModelOptions,
  ) {
    if (!(opts.lockTimeoutMs >= 0)) throw new Error(`lockTimeoutMs ${opts.lockTimeoutMs}: ms >= 0 (0: for ever)`);
    this.lockTimeoutMs = opts.lockTimeoutMs;
    this.deadlockTimeoutMs = opts.deadlockTimeoutMs ?? 1000;
    this.waitsIntervalMs = opts.waitsIntervalMs ?? 50;
    this.domain = opts.domain === 'rm' ? rmModel(opts) : billingModel(opts);
    this.table = this.domain.seed();
    this.sortedIds = [...this.table.keys()].sort();
    this.evidence = this.evidenceQueryable();
  }

  // --- ParticipantStore -------------------------------------------------------------------------------------------

  private gid(txnId: string): string {
    const gid = `${this.opts.node}:${txnId}`;
    if (!gidPattern.test(gid)) throw new Error(`gid ${JSON.stringify(gid)} has characters that need quoting`);
    return gid;
  }

  async facts(txnId: string): Promise<TxnFacts> {
    const row = this.txnRows.get(txnId);
    const precommit = this.precommits.get(txnId);
    const state = deriveState({
      rowState: row?.state,
      prepared: this.preparedByGid.has(this.gid(txnId)),
      precommitted: precommit !== undefined,
    });
    if (row) return { state, token: row.token };
    return { state, token: state === 'precommitted' ? (precommit?.token ?? null) : null };
  }

  prepare(txnId: string, req: PrepareRequest, planned: Reservation[]): Promise<PrepareOutcome> {
    const gid = this.gid(txnId);
    return new Promise((resolve, reject) => {
      // txn_insert_committed: a prepared transaction of the txn, or its committed row, stops it at once.
      if (this.preparedByGid.has(gid)) return resolve({ existing: true, lockWaitMs: 0 });
      // The CHECK comes before the conflict with a committed row (ExecConstraints, then the speculative insert).
      if (!(req.token > 0)) return reject(storeFailure(checkViolation('participant_txn')));
      if (this.txnRows.has(txnId)) return resolve({ existing: true, lockWaitMs: 0 });
      const txn = this.begin(txnId);
      const detail = jsonb({
        kind: req.kind,
        subscriberId: req.subscriberId,
        cells: req.cells,
        amount: req.amount,
        ...(req.release ? { release: req.release } : {}),
      });
      const row: TxnRow = {
        state: 'committed',
        token: req.token,
        sessionId: req.sessionId,
        protocol: req.protocol,
        reason: null,
        detail,
        recordedAtMs: txn.startedAtMs,
      };
      let startedMs: number | undefined;
      let reservedMs: number | undefined;
      const lockWaitMs = () => (startedMs === undefined ? 0 : (reservedMs ?? this.clock.monotonicMs()) - startedMs);
      const end = (outcome: { reason?: VoteNoReason; existing?: true }) => {
        this.rollback(txn);
        this.leaveInflight(txn);
        resolve({ ...outcome, lockWaitMs: lockWaitMs() });
      };
      const failed = (err: DbError) => {
        const reason = txn.inflight?.victim ? 'deadlock_victim' : reasonByCode[err.code];
        if (reason) return end({ reason });
        this.rollback(txn);
        this.leaveInflight(txn);
        reject(storeFailure(err));
      };
      const reserve = (i: number) => {
        const flight = txn.inflight!;
        this.movedOn(flight);
        const r = planned[i];
        if (!r) {
          reservedMs = this.clock.monotonicMs();
          flight.lockingSinceMs = null;
          this.prepareTransaction(txn, gid);
          this.leaveInflight(txn);
          return resolve({ lockWaitMs: lockWaitMs() });
        }
        flight.resource = r.resource;
        flight.lockingSinceMs = this.clock.monotonicMs();
        this.reservation(
          txn,
          r,
          () => reserve(i + 1),
          (reason) => end({ reason }),
          failed,
        );
      };
      this.insertTxnRow(
        txn,
        row,
        () => {
          startedMs = this.clock.monotonicMs();
          txn.inflight = { txn, resource: null, lockingSinceMs: null, victim: false };
          this.inflight.set(txnId, txn.inflight);
          reserve(0);
        },
        () => end({ existing: true }),
        failed,
      );
    });
  }

  async precommit(txnId: string, token: number): Promise<boolean> {
    if (!this.preparedByGid.has(this.gid(txnId))) return false;
    if (!(token > 0)) throw storeFailure(checkViolation('participant_precommit'));
    if (this.precommits.has(txnId)) return false;
    this.precommits.set(txnId, { token, recordedAtMs: this.clock.wallMs() });
    return true;
  }

  async commitPrepared(txnId: string): Promise<boolean> {
    const txn = this.preparedByGid.get(this.gid(txnId));
    if (!txn) return false;
    this.commit(txn);
    return true;
  }

  async rollbackPrepared(txnId: string): Promise<boolean> {
    const txn = this.preparedByGid.get(this.gid(txnId));
    if (!txn) return false;
    this.rollback(txn);
    return true;
  }

  /** txn_tombstone: an autocommit insert; a txn row another transaction inserted and has not ended is waited for. */
  tombstone(txnId: string, token: number, sessionId: string | null, reason: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!(token > 0)) return reject(storeFailure(checkViolation('participant_txn')));
      if (this.txnRows.has(txnId)) return resolve();
      const txn = this.begin(txnId);
      const row: TxnRow = {
        state: 'aborted',
        token,
        sessionId,
        protocol: null,
        reason,
        detail: null,
        recordedAtMs: txn.startedAtMs,
      };
      const ended = (commit: boolean) => {
        if (commit) this.commit(txn);
        else this.rollback(txn);
        resolve();
      };
      this.insertTxnRow(
        txn,
        row,
        () => ended(true),
        () => ended(false),
        (err) => {
          this.rollback(txn);
          reject(storeFailure(err));
        },
      );
    });
  }

  async prepared(limit: number): Promise<PreparedTxn[]> {
    const nowMs = this.clock.wallMs();
    return [...this.preparedByGid.values()]
      .sort((a, b) => (a.preparedAtMs ?? 0) - (b.preparedAtMs ?? 0))
      .slice(0, Math.max(0, limit))
      .map((t) => {
        const p = this.precommits.get(t.txnId);
        return {
          txnId: t.txnId,
          ageMs: nowMs - (t.preparedAtMs ?? nowMs),
          precommitAgeMs: p ? nowMs - p.recordedAtMs : null,
        };
      });
  }

  async totals(): Promise<Record<string, unknown>> {
    return this.domain.totals(this.table, this.sortedIds);
  }

  // --- FenceStore ---------------------------------------------------------------------------------------------------

  async highestToken(): Promise<number> {
    return this.highest;
  }

  async raiseToken(token: number): Promise<number> {
    this.highest = Math.max(this.highest, token);
    return this.highest;
  }

  // --- crash ----------------------------------------------------------------------------------------------------------

  /**
   * The service process dies and its connections close: every transaction not yet prepared rolls back and its
   * locks go; prepared transactions keep theirs. The calls it had waiting never settle (nobody is there to hear).
   * What WaitGraph and InFlightPrepares held in the process is gone with it.
   */
  crash(): void {
    const running = [...this.live].filter((t) => t.gid === undefined);
    for (const t of running) if (t.wait) this.dropWait(t.wait);
    for (const t of running) this.rollback(t);
    this.inflight.clear();
    this.tracked = new Map();
    this.readAtMs = Number.NEGATIVE_INFINITY;
  }

  // --- transactions and row locks -------------------------------------------------------------------------------------

  private begin(txnId: string): Txn {
    const txn: Txn = { seq: this.seq++, txnId, startedAtMs: this.clock.wallMs(), writes: new Map(), locks: [] };
    this.live.add(txn);
    return txn;
  }

  /**
   * The participant_txn insert with ON CONFLICT (txn_id) DO NOTHING: a row committed already is a conflict
   * (`conflict`); a row another live transaction inserted is waited for, then is a conflict if that one committed.
   */
  private insertTxnRow(
    txn: Txn,
    row: TxnRow,
    inserted: () => void,
    conflict: () => void,
    failed: (e: DbError) => void,
  ) {
    const take = () => {
      if (this.txnRows.has(txn.txnId)) return conflict();
      txn.row = row;
      inserted();
    };
    this.lock(txn, `txn:${txn.txnId}`, take, failed);
  }

  /** One reservation statement (domains.ts RowUpdate), as READ COMMITTED runs an UPDATE ... WHERE. */
  private reservation(
    txn: Txn,
    r: Reservation,
    done: () => void,
    refused: (reason: VoteNoReason) => void,
    failed: (e: DbError) => void,
  ) {
    const u = this.domain.update(r.statement, r.params);
    const snapshot = txn.writes.get(u.id) ?? this.table.get(u.id);
    if (!snapshot || !u.guard(snapshot)) return refused(u.refuse(snapshot));
    this.lock(
      txn,
      `row:${u.id}`,
      () => {
        // Ours already, or just handed over: the newest version (EvalPlanQual after a wait).
        const latest = txn.writes.get(u.id) ?? this.table.get(u.id);
        if (!latest || !u.guard(latest)) return refused(u.refuse(snapshot));
        txn.writes.set(u.id, u.set(latest));
        done();
      },
      failed,
    );
  }

  /** Runs `granted` once `txn` holds `key` (now, if it is free or its own), or `failed` when the wait ends badly. */
  private lock(txn: Txn, key: string, granted: () => void, failed: (e: DbError) => void): void {
    const entry = this.locks.get(key);
    if (!entry) {
      this.locks.set(key, { holder: txn, queue: [] });
      txn.locks.push(key);
      granted();
      return;
    }
    if (entry.holder === txn) {
      granted();
      return;
    }
    const wait: Wait = { txn, key, sinceMs: 0, timers: [], granted, failed };
    entry.queue.push(wait);
    txn.wait = wait;
    this.startWait(wait);
  }

  /** A new lock wait (pg_locks.waitstart) with its deadlock check and lock timeout on the clock. */
  private startWait(w: Wait): void {
    for (const t of w.timers) this.clock.clearTimeout(t);
    w.sinceMs = this.clock.wallMs();
    const lockMs = this.lockTimeoutMs;
    const deadlockMs = this.deadlockTimeoutMs;
    w.timers = [];
    // On a tie PostgreSQL checks for the deadlock, then reports the lock timeout that is pending as well.
    if (lockMs === 0 || deadlockMs < lockMs)
      w.timers.push(this.clock.setTimeout(() => this.checkDeadlock(w), deadlockMs));
    if (lockMs > 0) w.timers.push(this.clock.setTimeout(() => this.failWait(w, lockTimeout()), lockMs));
  }

  private failWait(w: Wait, err: DbError): void {
    if (w.txn.wait !== w) return;
    this.dropWait(w);
    w.failed(err);
    this.drain();
  }

  /** Takes `w` out of its queue; the next waiter, if it becomes the first, starts a new wait. */
  private dropWait(w: Wait): void {
    for (const t of w.timers) this.clock.clearTimeout(t);
    w.timers = [];
    w.txn.wait = undefined;
    const entry = this.locks.get(w.key);
    if (!entry) return;
    const i = entry.queue.indexOf(w);
    if (i < 0) return;
    entry.queue.splice(i, 1);
    const first = entry.queue[0];
    if (i === 0 && first) this.startWait(first);
  }

  /** Whom `w` waits for: the holder when it is the first waiter, else the first waiter (who holds the tuple lock). */
  private blockerOf(w: Wait): Txn | undefined {
    const entry = this.locks.get(w.key);
    if (!entry) return undefined;
    const i = entry.queue.indexOf(w);
    return i === 0 ? entry.holder : entry.queue[0]?.txn;
  }

  /** PostgreSQL's check, deadlock_timeout into a wait: is the waiter on a cycle? Then it is the one to fail. */
  private checkDeadlock(w: Wait): void {
    if (w.txn.wait !== w) return;
    const seen = new Set<Txn>();
    for (let t = this.blockerOf(w); t && !seen.has(t); t = t.wait ? this.blockerOf(t.wait) : undefined) {
      if (t === w.txn) {
        this.failWait(w, deadlockDetected());
        return;
      }
      seen.add(t);
    }
  }

  private prepareTransaction(txn: Txn, gid: string): void {
    txn.gid = gid;
    txn.preparedAtMs = this.clock.wallMs();
    this.preparedByGid.set(gid, txn);
  }

  private commit(txn: Txn): void {
    for (const [id, row] of txn.writes) this.table.set(id, row);
    if (txn.row) this.txnRows.set(txn.txnId, txn.row);
    this.end(txn);
  }

  private rollback(txn: Txn): void {
    this.end(txn);
  }

  /** The transaction ends: each lock it held goes to the row's first waiter, who carries on (in turn, not nested). */
  private end(txn: Txn): void {
    if (!this.live.delete(txn)) return;
    if (txn.gid) this.preparedByGid.delete(txn.gid);
    for (const key of txn.locks) {
      const entry = this.locks.get(key);
      if (!entry || entry.holder !== txn) continue;
      const next = entry.queue.shift();
      if (!next) {
        this.locks.delete(key);
        continue;
      }
      for (const t of next.timers) this.clock.clearTimeout(t);
      next.timers = [];
      next.txn.wait = undefined;
      entry.holder = next.txn;
      next.txn.locks.push(key);
      const first = entry.queue[0];
      if (first) this.startWait(first);
      this.wakeups.push(() => next.granted());
    }
    txn.locks.length = 0;
    this.drain();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let wake = this.wakeups.shift(); wake; wake = this.wakeups.shift()) wake();
    } finally {
      this.draining = false;
    }
  }

  // --- LockWaits (WaitGraph over InFlightPrepares) --------------------------------------------------------------------

  /** The prepare no longer waits on its resource: WaitGraph ends those edges now (inflight.onMovedOn). */
  private movedOn(flight: InFlight): void {
    const resource = flight.resource;
    if (resource === null) return;
    for (const [key, t] of this.tracked) {
      if (t.edge.txnId !== flight.txn.txnId || t.edge.resource !== resource) continue;
      this.tracked.delete(key);
      this.record(t.edge, t.startMs, this.clock.wallMs());
    }
  }

  private leaveInflight(txn: Txn): void {
    const flight = txn.inflight;
    if (!flight) return;
    this.movedOn(flight);
    this.inflight.delete(txn.txnId);
    txn.inflight = undefined;
  }

  async snapshot(): Promise<WaitsSnapshot> {
    if (this.clock.monotonicMs() - this.readAtMs >= this.waitsIntervalMs) this.readWaits();
    const ageMs = Math.max(0, this.clock.monotonicMs() - this.readAtMs);
    const edges = [...this.tracked.values()].map((t) => ({ ...t.edge, waitedMs: t.edge.waitedMs + ageMs }));
    return { edges, ageMs };
  }

  /** WaitGraph.read: the edges now, if some prepare has been in one reservation statement for an interval. */
  private readWaits(): void {
    const nowMs = this.clock.wallMs();
    const seen = new Map<string, WaitEdge>();
    for (const edge of this.someoneMayWait() ? this.edges().slice(0, edgesMax) : []) {
      seen.set(`${edge.txnId}>${edge.waitsFor}>${edge.resource}`, edge);
    }
    for (const [key, t] of this.tracked) {
      if (seen.has(key)) continue;
      this.tracked.delete(key);
      this.record(t.edge, t.startMs, nowMs);
    }
    for (const [key, edge] of seen) {
      const t = this.tracked.get(key);
      if (t) t.edge = edge;
      else {
        const startMs = Math.round(nowMs - edge.waitedMs);
        this.tracked.set(key, { edge, startMs });
        this.record(edge, startMs, undefined);
      }
    }
    this.readAtMs = this.clock.monotonicMs();
  }

  private someoneMayWait(): boolean {
    const nowMs = this.clock.monotonicMs();
    for (const f of this.inflight.values()) {
      if (f.lockingSinceMs !== null && nowMs - f.lockingSinceMs >= this.waitsIntervalMs) return true;
    }
    return false;
  }

  /** waits.sql through WaitGraph.edgeOf: each waiting prepare with each backend pg_blocking_pids names. */
  private edges(): WaitEdge[] {
    const out: WaitEdge[] = [];
    const nowMs = this.clock.wallMs();
    for (const f of this.inflight.values()) {
      const w = f.txn.wait;
      const entry = w && this.locks.get(w.key);
      if (!w || !entry) continue;
      const i = entry.queue.indexOf(w);
      const blockers = i === 0 ? [entry.holder] : entry.queue.slice(0, i).map((q) => q.txn);
      for (const b of blockers) {
        const holder = b.gid !== undefined ? b.txnId : b.inflight ? b.txnId : `pid:${b.seq}`;
        if (holder === f.txn.txnId) continue;
        out.push({ txnId: f.txn.txnId, waitsFor: holder, resource: f.resource, waitedMs: nowMs - w.sinceMs });
      }
    }
    return out;
  }

  private record(edge: WaitEdge, startMs: number, endMs: number | undefined): void {
    this.opts.logger?.observe('lock-wait', {
      participant: this.opts.node,
      txnId: edge.txnId,
      waitsFor: edge.waitsFor,
      resource: edge.resource,
      start: startMs,
      ...(endMs === undefined ? {} : { end: endMs }),
    });
  }

  /** WaitGraph.cancel: the running prepare is marked a victim; a lock wait it is in ends (57014). */
  async cancel(txnId: string): Promise<boolean> {
    const flight = this.inflight.get(txnId);
    if (!flight) return false;
    flight.victim = true;
    const resource = flight.resource;
    if (flight.txn.wait) this.failWait(flight.txn.wait, queryCanceled());
    this.opts.logger?.observe('deadlock-victim-cancelled', { participant: this.opts.node, txnId, resource });
    return true;
  }

  // --- evidence -------------------------------------------------------------------------------------------------------

  private evidenceQueryable(): Queryable {
    const core = Statements.load('participant', new URL('../../../system/participant/sql', import.meta.url));
    const service = this.opts.domain === 'rm' ? 'resource-manager' : 'billing';
    const own = Statements.load(service, new URL(`../../../system/${service}/sql/`, import.meta.url));
    const date = (ms: number) => new Date(ms);
    const answers = new Map<string, (params: readonly Param[]) => DbRow[]>([
      [
        core.text('evidence_txn'),
        () =>
          [...this.txnRows].map(([txnId, r]) => ({
            txn_id: txnId,
            state: r.state,
            token: String(r.token),
            recorded_at: date(r.recordedAtMs),
            detail: r.detail,
          })),
      ],
      [
        core.text('evidence_prepared'),
        () =>
          [...this.preparedByGid.values()].map((t) => {
            const p = this.precommits.get(t.txnId);
            return {
              gid: t.gid,
              prepared: date(t.preparedAtMs ?? 0),
              precommit_token: p ? String(p.token) : null,
              precommitted_at: p ? date(p.recordedAtMs) : null,
            };
          }),
      ],
      [core.text('evidence_prepared_count'), () => [{ n: this.preparedByGid.size }]],
      [own.text(this.domain.names.evidence), () => this.domain.evidence(this.table, this.sortedIds)],
      [own.text('totals'), () => [this.domain.totalsRow(this.table)]],
      [
        own.text(this.domain.names.broken),
        (params) => this.domain.broken(this.table, this.sortedIds, Number(params[0])).map((id) => ({ id }) as DbRow),
      ],
    ]);
    return {
      unsafe: async (query, params = []) => {
        const answer = answers.get(query);
        if (!answer) throw new Error(`the participant model does not answer ${query.split('\n')[0]}`);
        return answer(params);
      },
    };
  }
}

/** A value as it comes back out of a jsonb column: object keys ordered shorter first, then bytewise. */
function jsonb(value: unknown): unknown {
  return jsonbOrder(JSON.parse(JSON.stringify(value)) as unknown);
}

function jsonbOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonbOrder);
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v).sort((a, b) => {
    const ba = Buffer.from(a);
    const bb = Buffer.from(b);
    return ba.length !== bb.length ? ba.length - bb.length : Buffer.compare(ba, bb);
  });
  return Object.fromEntries(keys.map((k) => [k, jsonbOrder((v as Record<string, unknown>)[k])]));
}
