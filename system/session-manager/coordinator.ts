// The transaction coordinator (spec sections 5 to 7), for a session's creation, modification and release alike:
// intent logged first, DSM PENDING (a change claims the session's record here), prepare in parallel with a
// deadline; for 3PC the decision to pre-commit logged, then DSM PRECOMMITTED and the pre-commit to every participant
// at once, acknowledged by all; then the decision logged before phase 2 (presumed abort), DSM final and phase 2 at
// once until acknowledged, the answer, and the close. The standing decision is whatever the log holds: if recovery
// (or the deadlock detector) decided first, that decision wins here too.
import type { Clock } from '../common/clock.ts';
import type { Decision, Revision, SessionOutcome } from '../common/contract.ts';
import { isServiceError, ServiceError } from '../common/errors.ts';
import type { Faults } from '../common/faults.ts';
import type { Logger } from '../common/log.ts';
import type { Random } from '../common/random.ts';
import { type Delivery, revisionAfter, sessionRecord } from './delivery.ts';
import { type Asked, awaitOutcome, reuseRefusal } from './duplicates.ts';
import type { LeaderHint } from './leader.ts';
import type { SmMetrics } from './metrics.ts';
import { type ParticipantClient, prepareBody, type Vote } from './participants.ts';
import { tariff } from './pricing.ts';
import type { Dsm, EventStream, VersionedRecord } from './store.ts';
import type { SessionChange, SessionRequest, Standing, TxLog, TxnRow } from './txlog.ts';

export interface CoordinatorConfig {
  node: string;
  prepareTimeoutMs: number;
  /** Pre-commit and phase-2 attempts made inline before the request answers; the finisher retries phase 2. */
  phase2InlineAttempts: number;
  /** How long a duplicate request (same idempotency key) waits for the first one's outcome. */
  duplicateWaitMs: number;
  /** Planted bugs (DESIGN section 6), all false in a correct system; each is consulted at one step below. */
  bugs?: { noDecisionLog: boolean; earlyCommit: boolean; emitBeforeCommit: boolean };
}

export interface Leadership {
  currentEpoch(): number | undefined;
  leaderHint(): LeaderHint | undefined;
}

/**
 * A logged intent as the coordinator drives it; `precommitted` once the log holds its decision to pre-commit;
 * `dsmVersion`: the version of the DSM record as this coordinator last wrote it (0: not written), so the final
 * write needs no read first.
 */
type Intent = Pick<TxnRow, 'txnId' | 'sessionId' | 'request' | 'token'> & {
  precommitted: boolean;
  dsmVersion: number;
  /** The DSM record shows the decision: a committed answer waits for it. */
  visible: boolean;
};

/** 504: decided, maybe committed, but the DSM does not show it yet, so a reader could still see the session before. */
function notVisible(txnId: string): ServiceError {
  return new ServiceError(
    'timeout',
    'the outcome is not visible yet: the DSM record does not show the decision; retry with the same Idempotency-Key',
    { txnId },
    false,
  );
}

/** Why a change cannot claim this record (409 not_active, 412 precondition_failed); undefined when it can. */
function notClaimable(found: VersionedRecord, ifMatch: Revision | undefined): ServiceError | undefined {
  const r = found.record;
  const state = { sessionId: r.sessionId, status: r.status, revision: r.revision };
  if (r.status !== 'COMMITTED' || r.change) {
    const doing = r.change ? `; a ${r.change.kind} (${r.txnId}) is in flight` : '';
    return new ServiceError('not_active', `session ${r.sessionId} is ${r.status}${doing}, not active`, {
      ...state,
      ...(r.change ? { change: { txnId: r.txnId, kind: r.change.kind } } : {}),
    });
  }
  if (ifMatch !== undefined && ifMatch !== r.revision) {
    return new ServiceError(
      'precondition_failed',
      `session ${r.sessionId} is at revision ${r.revision}, not ${ifMatch}`,
      state,
    );
  }
  return undefined;
}

/** The transaction that makes `change` to the active session `found`, conditional on `ifMatch` when given. */
function changeRequest(found: VersionedRecord, change: SessionChange, ifMatch: Revision | undefined): SessionRequest {
  const r = found.record;
  const base = {
    trafficClass: r.trafficClass,
    cells: r.cells,
    amount: tariff[r.trafficClass],
    version: found.version,
    revision: r.revision,
  };
  const session = {
    subscriberId: r.subscriberId,
    protocol: r.protocol,
    base,
    ...(ifMatch !== undefined ? { ifMatch } : {}),
  };
  if (change.kind === 'release') {
    return { ...session, kind: 'release', trafficClass: r.trafficClass, cells: [], amount: 0 };
  }
  const trafficClass = change.trafficClass ?? r.trafficClass;
  return { ...session, kind: 'modify', trafficClass, cells: change.cells ?? r.cells, amount: tariff[trafficClass] };
}

export interface CoordinatorDeps {
  config: CoordinatorConfig;
  txlog: TxLog;
  dsm: Dsm;
  stream: EventStream;
  participants: ParticipantClient[];
  delivery: Delivery;
  leadership: Leadership;
  clock: Clock;
  /** Session and transaction ids. */
  random: Random;
  logger: Logger;
  faults: Faults;
  metrics: SmMetrics;
  /** Called after a decision is logged so the relay appends the event promptly. */
  onDecided: () => void;
}

/**
 * The answer of a node that does not lead: the leader it last saw and that leader's epoch, so the gateway can tell a
 * newer leader from a deposed one and stop waiting on the old (edge-gateway/forwarder.ts).
 */
export function notLeader(hint: LeaderHint | undefined): ServiceError {
  return new ServiceError('not_leader', 'this session manager is not the leader', {
    leader: hint?.node ?? null,
    ...(hint && Number.isInteger(hint.epoch) ? { epoch: hint.epoch } : {}),
    retryAfterMs: 200,
  });
}

export class Coordinator {
  private preparingNow = 0;

  constructor(private readonly d: CoordinatorDeps) {}

  /** Transactions whose prepare round is in flight (the deadlock detector idles without them). */
  get preparing(): number {
    return this.preparingNow;
  }

  /**
   * The outcome of `first`, the request logged under the key this one repeats: a committed one only once the DSM
   * shows it, like any answer (`visible`). Refused (422), at once and changing nothing, unless this request is that
   * one again (duplicates.ts says what counts as the same).
   */
  private async duplicateOf(first: TxnRow, asked: Asked, started: number): Promise<SessionOutcome> {
    const reused = reuseRefusal(first, asked);
    if (reused) throw reused;
    const { txnId } = first;
    const outcome = await awaitOutcome(this.d.txlog, this.d.clock, txnId, started, this.d.config.duplicateWaitMs);
    if (outcome.outcome === 'committed') {
      const found = await this.d.dsm.read(outcome.sessionId);
      // The record names a later transaction only once this one's change is final there.
      if (found?.record.txnId === txnId && found.record.txnState !== 'COMMITTED') throw notVisible(txnId);
    }
    return outcome;
  }

  /** Throws not_leader unless this node leads and is ready (checked again when the request runs). */
  epochOrThrow(): number {
    const epoch = this.d.leadership.currentEpoch();
    if (epoch === undefined) throw notLeader(this.d.leadership.leaderHint());
    return epoch;
  }

  async createSession(request: SessionRequest, idempotencyKey: string | undefined): Promise<SessionOutcome> {
    const started = this.d.clock.monotonicMs();
    const token = this.epochOrThrow();
    // No look-up of the idempotency key first: the intent's insert refuses a key already logged and says so.
    const sessionId = `ses-${this.d.random.uuid()}`;
    const create = { ...request, kind: 'create' as const };
    return this.run(sessionId, create, { kind: 'create', request: create }, token, idempotencyKey, started);
  }

  /**
   * A modify or release of an active session. `ifMatch`: the revision the client's change is conditional on
   * (undefined: whatever is current). Refused before anything is logged when the session is unknown (404), not
   * active (409 not_active) or at another revision (412); the claim (the first DSM write) checks the same again.
   */
  async changeSession(
    sessionId: string,
    change: SessionChange,
    ifMatch: Revision | undefined,
    idempotencyKey: string | undefined,
  ): Promise<SessionOutcome> {
    const started = this.d.clock.monotonicMs();
    const token = this.epochOrThrow();
    const asked: Asked = { kind: 'change', sessionId, change, ifMatch };
    // A retry of a change already logged gets its outcome, not a 412 for the revision that change moved on.
    if (idempotencyKey !== undefined) {
      const first = await this.d.txlog.byIdempotencyKey(idempotencyKey);
      if (first) return this.duplicateOf(first, asked, started);
    }
    const found = await this.d.dsm.read(sessionId);
    if (!found) throw new ServiceError('not_found', `no session ${sessionId}`);
    const refusal = notClaimable(found, ifMatch);
    if (refusal) throw refusal;
    return this.run(sessionId, changeRequest(found, change, ifMatch), asked, token, idempotencyKey, started);
  }

  /** `asked`: the client's request, to tell a retry from another request under a key already logged. */
  private async run(
    sessionId: string,
    request: SessionRequest,
    asked: Asked,
    token: number,
    idempotencyKey: string | undefined,
    started: number,
  ): Promise<SessionOutcome> {
    const txnId = `txn-${this.d.random.uuid()}`;
    const row = {
      txnId,
      sessionId,
      protocol: request.protocol,
      kind: request.kind ?? 'create',
      token,
      node: this.d.config.node,
      request,
      idempotencyKey: idempotencyKey ?? null,
    };
    try {
      if ((await this.d.txlog.insertIntent(row)) === 'duplicate-key') {
        const first = await this.d.txlog.byIdempotencyKey(idempotencyKey!);
        return this.duplicateOf(first!, asked, started);
      }
    } catch (err) {
      // No intent row landed (fenced, or the database refused): nothing happened, definitely.
      if (isServiceError(err) && err.code === 'stale_token') throw notLeader(undefined);
      throw err;
    }
    this.d.logger.observe('intent', {
      txnId,
      sessionId,
      token,
      kind: row.kind,
      protocol: request.protocol,
      subscriberId: request.subscriberId,
      cells: request.cells,
    });
    this.d.faults.crashPoint('after-intent-logged');
    if (this.d.config.bugs?.emitBeforeCommit) {
      await this.d.stream.emit([{ txnId, sessionId, outcome: 'commit', decidedAtMs: this.d.clock.wallMs() }], token);
    }
    const intent: Intent = { txnId, sessionId, request, token, precommitted: false, dsmVersion: 0, visible: false };
    let outcome: SessionOutcome;
    try {
      outcome = await this.drive(intent, started);
    } catch (err) {
      if (request.base && intent.dsmVersion === 0 && isServiceError(err) && err.code === 'conflict') {
        return this.claimFailed(intent, started, request.ifMatch);
      }
      outcome = await this.abandon(intent, started, err);
    }
    // A client told "committed" must read the change: the answer waits for the DSM to show it.
    if (outcome.outcome === 'committed' && !intent.visible) throw notVisible(txnId);
    return outcome;
  }

  /**
   * A change's claim found the record moved on since it was read (another change claimed it, or ended): this one
   * aborts before any participant hears of it, and the client learns why, as if refused before the intent.
   */
  private async claimFailed(intent: Intent, started: number, ifMatch: Revision | undefined): Promise<never> {
    const lost = new ServiceError('conflict', 'the claim of the session record lost to another write');
    const ended = await this.abandon(intent, started, lost, 'claim_conflict');
    if (ended.outcome === 'committed') throw notVisible(intent.txnId); // cannot be: nothing was prepared
    const found = await this.d.dsm.read(intent.sessionId);
    throw (
      (found && notClaimable(found, ifMatch)) ??
      new ServiceError('conflict', `session ${intent.sessionId} changed meanwhile; nothing was done, retry`, {
        sessionId: intent.sessionId,
        txnId: intent.txnId,
      })
    );
  }

  private outcome(intent: Intent, standing: Standing, timings: SessionOutcome['timings']): SessionOutcome {
    return {
      sessionId: intent.sessionId,
      txnId: intent.txnId,
      outcome: standing.decision === 'commit' ? 'committed' : 'aborted',
      ...(standing.reason ? { reason: standing.reason } : {}),
      protocol: intent.request.protocol,
      kind: intent.request.kind ?? 'create',
      revision: revisionAfter(intent.request, standing.decision),
      timings,
    };
  }

  /** A step failed before the decision: log abort if we still can (then the outcome is known), else it is unknown. */
  private async abandon(
    intent: Intent,
    started: number,
    err: unknown,
    reason = `coordinator_${isServiceError(err) ? err.code : 'internal'}`,
  ): Promise<SessionOutcome> {
    this.d.logger.warn('transaction step failed', { txnId: intent.txnId, error: (err as Error).message });
    let standing: Standing;
    try {
      standing = await this.logDecision(intent.txnId, 'abort', reason, intent.token, intent.precommitted);
    } catch {
      throw new ServiceError(
        'timeout',
        'the outcome is unknown: the coordinator lost its stores mid-transaction',
        { txnId: intent.txnId, sessionId: intent.sessionId },
        false,
      );
    }
    void this.d.delivery
      .finish(intent, standing.decision, standing.reason, intent.token, 1, intent.dsmVersion)
      .catch(() => {});
    return this.outcome(intent, standing, { totalMs: Math.round(this.d.clock.monotonicMs() - started) });
  }

  private async drive(intent: Intent, started: number): Promise<SessionOutcome> {
    const { txnId, sessionId, request, token } = intent;
    const pending = sessionRecord(intent, 'PENDING', this.d.clock.wallMs());
    intent.dsmVersion = await this.d.dsm.cas(request.base?.version ?? 0, token, pending);
    const prepareStarted = this.d.clock.monotonicMs();
    this.preparingNow++;
    let votes: Vote[];
    try {
      votes = await this.prepareAll(txnId, token, sessionId, request);
    } finally {
      this.preparingNow--;
    }
    const timings: SessionOutcome['timings'] = {
      totalMs: 0,
      prepareMs: Math.round(this.d.clock.monotonicMs() - prepareStarted),
    };
    const no = votes.find((v): v is Extract<Vote, { vote: 'no' }> => v.vote === 'no');
    let standing: Standing;
    if (no) standing = await this.logDecision(txnId, 'abort', no.reason, token, false);
    else {
      const prepared = this.d.dsm
        .cas(intent.dsmVersion, token, sessionRecord(intent, 'PREPARED', this.d.clock.wallMs()))
        .then((version) => {
          intent.dsmVersion = version;
        });
      if (request.protocol === '3pc') {
        await prepared;
        const precommitStarted = this.d.clock.monotonicMs();
        standing = await this.preCommit(intent);
        timings.precommitMs = Math.round(this.d.clock.monotonicMs() - precommitStarted);
      } else {
        // DSM PREPARED and the commit decision at once: both only follow the votes, and the DSM's final state
        // (after both) still follows the decision.
        [, standing] = await Promise.all([prepared, this.logDecision(txnId, 'commit', null, token, false)]);
      }
    }
    this.d.metrics.transactions.inc({
      kind: request.kind ?? 'create',
      protocol: request.protocol,
      outcome: standing.decision,
      reason: standing.reason ?? '',
    });
    this.d.metrics.txnDuration.observe(
      { protocol: request.protocol, outcome: standing.decision },
      (this.d.clock.monotonicMs() - started) / 1000,
    );
    // Phase 2 inline: the answer waits until every participant acknowledged (or the attempts ran out) and the DSM
    // shows the decision, not for the log row's close.
    intent.visible = await this.d.delivery
      .finish(intent, standing.decision, standing.reason, token, this.d.config.phase2InlineAttempts, intent.dsmVersion)
      .then(
        (finished) => finished.dsm,
        (err: Error) => {
          this.d.logger.warn('phase 2 left to the finisher', { txnId, error: err.message });
          return false;
        },
      );
    timings.totalMs = Math.round(this.d.clock.monotonicMs() - started);
    return this.outcome(intent, standing, timings);
  }

  /**
   * 3PC's middle phase: the decision to pre-commit is logged, the DSM says PRECOMMITTED, and every participant
   * records its pre-commit and acknowledges; then commit is logged. If a participant cannot acknowledge, this
   * coordinator logs abort instead: safe, because no participant acts on its own (it asks the leader), and a
   * new leader commits only what the log leaves undecided.
   */
  private async preCommit(intent: Intent): Promise<Standing> {
    const { txnId, token } = intent;
    let logged: Awaited<ReturnType<TxLog['precommit']>>;
    try {
      logged = await this.d.txlog.precommit(txnId, token);
    } catch (err) {
      // Fenced before the pre-commit landed: the newer leader finds it undecided and not pre-committed, so aborts.
      if (isServiceError(err) && err.code === 'stale_token') return { decision: 'abort', reason: 'leader_changed' };
      throw err;
    }
    if (logged !== 'precommitted') return logged;
    intent.precommitted = true;
    this.d.logger.observe('precommit-logged', { txnId, token });
    this.d.faults.crashPoint('after-precommit-logged');
    // DSM PRECOMMITTED beside the pre-commits: both only follow the logged decision to pre-commit.
    const precommitted = sessionRecord(intent, 'PRECOMMITTED', this.d.clock.wallMs());
    const [version, acked] = await Promise.all([
      this.d.dsm.cas(intent.dsmVersion, token, precommitted),
      this.d.delivery.precommitAll(txnId, token, this.d.config.phase2InlineAttempts),
    ]);
    intent.dsmVersion = version;
    if (acked) return this.logDecision(txnId, 'commit', null, token, true);
    return this.logDecision(txnId, 'abort', 'precommit_failed', token, true);
  }

  private async prepareAll(txnId: string, token: number, sessionId: string, request: SessionRequest): Promise<Vote[]> {
    const body = prepareBody(token, sessionId, request);
    const early = this.d.config.bugs?.earlyCommit;
    const calls = this.d.participants.map((p) =>
      p
        .prepare(txnId, body, this.d.config.prepareTimeoutMs)
        .then((v) => {
          if (early && v.vote === 'yes')
            void p.send('commit', txnId, token, this.d.config.prepareTimeoutMs).catch(() => {});
          return v;
        })
        .catch((err: unknown): Vote => {
          const code = isServiceError(err) ? err.code : 'error';
          return { vote: 'no', reason: code === 'timeout' ? 'prepare_timeout' : `participant_${code}` };
        }),
    );
    // Let the requests reach the wire before a crash point can fire.
    await this.d.clock.yieldNow();
    this.d.faults.crashPoint('after-prepare-sent');
    const votes = await Promise.all(calls);
    this.d.logger.observe('votes', {
      txnId,
      token,
      votes: Object.fromEntries(this.d.participants.map((p, i) => [p.name, votes[i]])),
    });
    return votes;
  }

  /** Logs the decision (first one wins); `precommitted`: the log holds this txn's decision to pre-commit. */
  private async logDecision(
    txnId: string,
    decision: Decision,
    reason: string | null,
    token: number,
    precommitted: boolean,
  ): Promise<Standing> {
    try {
      const standing: Standing = this.d.config.bugs?.noDecisionLog
        ? { decision, reason }
        : await this.d.txlog.decide(txnId, decision, reason, token, this.d.config.node, this.d.clock.wallMs());
      this.d.logger.observe('decision', {
        txnId,
        decision: standing.decision,
        reason: standing.reason,
        token,
        proposed: decision,
      });
      this.d.faults.crashPoint('after-decision-logged');
      this.d.onDecided();
      return standing;
    } catch (err) {
      if (!isServiceError(err) || err.code !== 'stale_token') throw err;
      // Fenced, and the log holds no decision yet: a newer leader owns this transaction now and aborts it, unless
      // the log holds our pre-commit (3PC; the log says so even when our pre-commit's reply was lost), in which
      // case it commits; we cannot know which has landed yet, so the answer is unknown.
      if (!precommitted && err.details.precommitted !== true) return { decision: 'abort', reason: 'leader_changed' };
      throw new ServiceError(
        'timeout',
        'the outcome is unknown: a newer leader took over after pre-commit',
        {
          txnId,
        },
        false,
      );
    }
  }
}
