// The participant core: prepare, pre-commit, commit and abort of one transaction, over the durable state behind
// the ParticipantStore port (ports.ts; in Postgres, store.ts). Every mutating request passes the fence (stale tokens refused before anything changes), then runs
// alone for its txn (KeyedMutex) and does what the state machine plans for it. The usual request (a prepare of a
// new txn, a decision for a txn prepared here) goes straight to its state-changing statement, which tells whether
// the state was the expected one; only when it was not is the durable state read and planned for. That is the
// same plan as reading first (the txn's requests are serialized, so nothing here changes the state in between),
// with one round trip to Postgres fewer per request.

import type { PrepareRequest, StateReply, TxnState, TxnStatus, VoteNoReason, VoteReply } from '../common/contract.ts';
import type { CrashPoint, Faults } from '../common/faults.ts';
import type { Logger } from '../common/log.ts';
import type { DomainRules } from './domain.ts';
import { conflict, isStaleToken, overloaded, staleToken, storeFailure } from './errors.ts';
import type { Fence } from './fence.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { ParticipantMetrics } from './metrics.ts';
import type { LockWaits, ParticipantStore, WaitsSnapshot } from './ports.ts';
import { type Action, type Plan, plan, resultState } from './state.ts';

export interface ParticipantDeps {
  store: ParticipantStore;
  domain: DomainRules;
  fence: Fence;
  logger: Logger;
  metrics: ParticipantMetrics;
  faults: Faults;
  waits: LockWaits;
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
/** Who told the participant to change state (`timeout`: only the planted bug 3pc-timeout-commit). */
export type Via = 'leader' | 'decision-query' | 'timeout';

export class Participant {
  private readonly txnLocks = new KeyedMutex();
  private inFlight = 0;

  constructor(private readonly deps: ParticipantDeps) {}

  prepare(txnId: string, req: PrepareRequest): Promise<VoteReply> {
    return this.guarded(txnId, req.token, async () => {
      if (this.deps.faults.injectAbort()) {
        // Injected no votes are for new txns only: a repeated prepare still answers from the durable state.
        const repeated = await this.repeatedPrepare(txnId, req);
        return repeated ?? this.refuse(txnId, req, 'injected', 0);
      }
      const planned = this.deps.domain.reservations(req);
      if (typeof planned === 'string') return this.refuse(txnId, req, planned, 0);
      const outcome = await this.deps.store.prepare(txnId, req, planned);
      if (outcome.existing) {
        const repeated = await this.repeatedPrepare(txnId, req);
        // Not new, yet neither prepared nor decided now: resolved under us; a no vote is always safe.
        return repeated ?? this.voted(txnId, req, { vote: 'no', reason: 'tombstoned' }, 0);
      }
      if (outcome.reason) return this.refuse(txnId, req, outcome.reason, outcome.lockWaitMs);
      this.deps.faults.crashPoint(crashAfterPrepare);
      return this.voted(txnId, req, { vote: 'yes' }, outcome.lockWaitMs);
    });
  }

  /** The answer to a prepare of a txn that is not new (by its durable state); undefined when it is new. */
  private async repeatedPrepare(txnId: string, req: PrepareRequest): Promise<VoteReply | undefined> {
    const { state } = await this.deps.store.facts(txnId);
    const planned = plan('prepare', state);
    if (planned === 'ack') return this.voted(txnId, req, { vote: 'yes' }, 0);
    if (planned === 'refuse') return this.voted(txnId, req, { vote: 'no', reason: 'tombstoned' }, 0);
    return undefined;
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
    const [totals, prepared] = await Promise.all([this.deps.store.totals(), this.deps.store.prepared(preparedListMax)]);
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
      let planned: Plan = 'apply';
      if (!(await this.applyToPrepared(action, txnId, token, via))) {
        const { state: from } = await this.deps.store.facts(txnId);
        planned = plan(action, from);
        if (planned === 'conflict' || planned === 'refuse') throw conflict(txnId, action, from);
        if (planned === 'apply') await this.apply(action, txnId, token, from, via);
      }
      const state = resultState[action];
      this.deps.logger.observe('participant-state', { txnId, state, token, via, changed: planned === 'apply' });
      if (planned === 'apply') this.deps.metrics.decisions.inc({ state });
      const point = crashAfterApply[action];
      if (planned === 'apply' && point) this.deps.faults.crashPoint(point);
      return { state };
    });
  }

  /**
   * The decision applied to a txn prepared here, which is what the plan says for the prepared (and, but for a
   * repeated pre-commit, pre-committed) state; false when there was no such prepared transaction, and nothing
   * changed.
   */
  private async applyToPrepared(action: Decision, txnId: string, token: number, via: Via): Promise<boolean> {
    const { store } = this.deps;
    if (action === 'precommit') return store.precommit(txnId, token);
    if (action === 'commit') return store.commitPrepared(txnId);
    if (!(await store.rollbackPrepared(txnId))) return false;
    // As in apply: the tombstone after ROLLBACK PREPARED.
    await store.tombstone(txnId, token, null, via);
    return true;
  }

  /** The decision applied in state `from`, as planned from a read of the durable state. */
  private async apply(action: Decision, txnId: string, token: number, from: TxnState, via: Via): Promise<void> {
    const { store } = this.deps;
    if (action === 'precommit') {
      if (!(await store.precommit(txnId, token))) await this.resolvedElsewhere(txnId, action);
      return;
    }
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
  private async resolvedElsewhere(txnId: string, action: Decision): Promise<void> {
    const { state } = await this.deps.store.facts(txnId);
    const matches = action === 'abort' ? state !== 'committed' : state === resultState[action];
    if (!matches) throw conflict(txnId, action, state);
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
