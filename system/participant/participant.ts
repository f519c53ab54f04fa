// The participant core: prepare, pre-commit, commit and abort of one transaction, over the durable state in
// TxnStore. Every mutating request passes the fence (stale tokens refused before anything changes), then runs
// alone for its txn (KeyedMutex), reads the durable state, and does what the state machine plans for it.
import type { CrashPoint, Faults } from '../common/faults.ts';
import type { Logger } from '../common/log.ts';
import type { PrepareRequest, StateReply, TxnState, TxnStatus, Via, VoteNoReason, VoteReply } from './contract.ts';
import type { Domain } from './domain.ts';
import { conflict, isStaleToken, overloaded, staleToken, storeFailure } from './errors.ts';
import type { Fence } from './fence.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { ParticipantMetrics } from './metrics.ts';
import { type Action, plan, resultState } from './state.ts';
import type { TxnStore } from './store.ts';
import type { WaitGraph, WaitsSnapshot } from './waits.ts';

export interface ParticipantDeps {
  store: TxnStore;
  domain: Domain;
  fence: Fence;
  logger: Logger;
  metrics: ParticipantMetrics;
  faults: Faults;
  waits: WaitGraph;
  /** Requests admitted at once (waiting for locks included); more get 503 overloaded. */
  inFlightMax: number;
}

/** Armed by the fault injector: the process dies with the transaction prepared but before answering yes. */
export const crashAfterPrepare: CrashPoint = 'participant-after-prepare-before-vote';

/** Where the process may be made to die after applying a decision, before acknowledging it. */
const crashAfterApply: Partial<Record<Decision, CrashPoint>> = {
  precommit: 'participant-after-precommit',
  commit: 'participant-after-commit',
};

/** Prepared transactions listed by /v1/state, at most (max_prepared_transactions bounds them anyway). */
const preparedListMax = 10_000;

type Decision = Exclude<Action, 'prepare'>;

export class Participant {
  private readonly txnLocks = new KeyedMutex();
  private inFlight = 0;

  constructor(private readonly deps: ParticipantDeps) {}

  prepare(txnId: string, req: PrepareRequest): Promise<VoteReply> {
    return this.guarded(txnId, req.token, async () => {
      const { state } = await this.deps.store.facts(txnId);
      const planned = plan('prepare', state);
      if (planned === 'ack') return this.voted(txnId, req, { vote: 'yes' }, 0);
      if (planned === 'refuse') return this.voted(txnId, req, { vote: 'no', reason: 'tombstoned' }, 0);
      if (this.deps.faults.injectAbort()) return this.refuse(txnId, req, 'injected', 0);
      const outcome = await this.deps.store.prepare(txnId, req, this.deps.domain);
      if (outcome.reason) return this.refuse(txnId, req, outcome.reason, outcome.lockWaitMs);
      this.deps.faults.crashPoint(crashAfterPrepare);
      return this.voted(txnId, req, { vote: 'yes' }, outcome.lockWaitMs);
    });
  }

  precommit(txnId: string, token: number, via: Via): Promise<StateReply> {
    return this.decide('precommit', txnId, token, via);
  }

  commit(txnId: string, token: number, via: Via): Promise<StateReply> {
    return this.decide('commit', txnId, token, via);
  }

  abort(txnId: string, token: number, via: Via): Promise<StateReply> {
    return this.decide('abort', txnId, token, via);
  }

  /**
   * The leader's deadlock detector chose this txn as a victim: its running prepare votes no and stops waiting.
   * Not serialized with the txn's other requests (the prepare it targets holds the txn's lock while it waits), and
   * not raising the fence (raising waits for running requests, that prepare among them); only ever turns a vote
   * into a no, which is always safe.
   */
  async cancel(txnId: string, token: number): Promise<{ cancelled: boolean }> {
    if (token < this.deps.fence.highest) throw staleToken(token, this.deps.fence.highest);
    try {
      return { cancelled: await this.deps.waits.cancel(txnId) };
    } catch (err) {
      throw storeFailure(err);
    }
  }

  /** This participant's wait-for edges (for the leader's deadlock detector). */
  waits(): Promise<WaitsSnapshot> {
    return this.deps.waits.snapshot().catch((err: unknown) => {
      throw storeFailure(err);
    });
  }

  /** The highest leader token this participant has seen. */
  get highestToken(): number {
    return this.deps.fence.highest;
  }

  async status(txnId: string): Promise<TxnStatus> {
    const { state, token } = await this.deps.store.facts(txnId);
    return { txnId, state, token };
  }

  /** The domain's conservation totals plus the txns still prepared here. */
  async conservation(): Promise<Record<string, unknown>> {
    const [totals, prepared] = await Promise.all([
      this.deps.store.totals(this.deps.domain),
      this.deps.store.prepared(preparedListMax),
    ]);
    return { ...totals, prepared: prepared.map((p) => p.txnId) };
  }

  /** Admission bound, then the fence, then the txn's own lock. */
  private async guarded<T>(txnId: string, token: number, body: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.deps.inFlightMax) throw overloaded(this.deps.inFlightMax);
    this.inFlight++;
    try {
      return await this.deps.fence.run(token, () => this.txnLocks.run(txnId, body));
    } catch (err) {
      if (isStaleToken(err)) {
        this.deps.logger.observe('stale-token-rejected', { txnId, token, highest: err.details.highest });
        this.deps.metrics.staleTokens.inc();
      }
      throw storeFailure(err);
    } finally {
      this.inFlight--;
    }
  }

  private async decide(action: Decision, txnId: string, token: number, via: Via): Promise<StateReply> {
    return this.guarded(txnId, token, async () => {
      const { state: from } = await this.deps.store.facts(txnId);
      const planned = plan(action, from);
      if (planned === 'conflict' || planned === 'refuse') throw conflict(txnId, action, from);
      if (planned === 'apply') await this.apply(action, txnId, token, from, via);
      const state = resultState[action];
      this.deps.logger.observe('participant-state', { txnId, state, token, via, changed: planned === 'apply' });
      if (planned === 'apply') this.deps.metrics.decisions.inc({ state });
      const point = crashAfterApply[action];
      if (planned === 'apply' && point) this.deps.faults.crashPoint(point);
      return { state };
    });
  }

  private async apply(action: Decision, txnId: string, token: number, from: TxnState, via: Via): Promise<void> {
    const { store } = this.deps;
    if (action === 'precommit') return store.precommit(txnId, token);
    if (action === 'commit') {
      if (!(await store.commitPrepared(txnId))) await this.resolvedElsewhere(txnId, action);
      return;
    }
    if (from === 'prepared' || from === 'precommitted') {
      if (!(await store.rollbackPrepared(txnId))) await this.resolvedElsewhere(txnId, action);
    }
    // After ROLLBACK PREPARED (a separate statement: it cannot run inside a transaction). A crash in between
    // leaves nothing held and nothing committed; the leader retries the abort until acknowledged.
    await store.tombstone(txnId, token, null, via);
  }

  /** The prepared transaction vanished under us (resolved outside this process): accept only a matching end. */
  private async resolvedElsewhere(txnId: string, action: 'commit' | 'abort'): Promise<void> {
    const { state } = await this.deps.store.facts(txnId);
    if (action === 'commit' ? state !== 'committed' : state === 'committed') throw conflict(txnId, action, state);
  }

  private async refuse(txnId: string, req: PrepareRequest, reason: VoteNoReason, lockWaitMs: number) {
    // A no vote is a unilateral abort: the tombstone makes a late duplicate of this prepare vote no as well.
    // If writing it fails the vote is still a safe no; the leader's abort writes the tombstone later.
    await this.deps.store.tombstone(txnId, req.token, req.sessionId, reason).catch((err: Error) => {
      this.deps.logger.warn('tombstone after no vote failed', { txnId, error: err.message });
    });
    return this.voted(txnId, req, { vote: 'no', reason }, lockWaitMs);
  }

  private voted(txnId: string, req: PrepareRequest, reply: VoteReply, lockWaitMs: number): VoteReply {
    const reason = reply.vote === 'no' ? reply.reason : undefined;
    this.deps.logger.observe('vote', {
      txnId,
      sessionId: req.sessionId,
      vote: reply.vote,
      ...(reason ? { reason } : {}),
      token: req.token,
      lockWaitMs: Math.round(lockWaitMs * 1000) / 1000,
    });
    this.deps.metrics.votes.inc({ vote: reply.vote, reason: reason ?? 'none' });
    return reply;
  }
}
