// The transaction coordinator (spec sections 5 and 6): intent logged first, DSM PENDING, prepare in parallel
// with a deadline, decision logged before phase 2 (presumed abort), phase 2 until acknowledged, DSM final, close.
// The standing decision is whatever the log holds: if recovery decided first, that decision wins here too.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../common/clock.ts';
import { isServiceError, ServiceError } from '../common/errors.ts';
import type { Faults } from '../common/faults.ts';
import type { Logger } from '../common/log.ts';
import type { SmMetrics } from './metrics.ts';
import { type ParticipantClient, prepareBody, type Vote } from './participants.ts';
import type { Dsm, SessionRecord, SessionStatus } from './store.ts';
import type { Decision, SessionRequest, TxLog, TxnRow } from './txlog.ts';

export interface CoordinatorConfig {
  node: string;
  prepareTimeoutMs: number;
  phase2TimeoutMs: number;
  /** Phase-2 attempts made inline before the request answers; the finisher retries the rest. */
  phase2InlineAttempts: number;
  /** How long a duplicate request (same idempotency key) waits for the first one's outcome. */
  duplicateWaitMs: number;
}

export interface Leadership {
  currentEpoch(): number | undefined;
  leaderHint(): string | undefined;
}

export interface Outcome {
  sessionId: string;
  txnId: string;
  outcome: 'committed' | 'aborted';
  reason?: string;
  protocol: string;
  timings: { totalMs: number; prepareMs?: number };
}

export interface CoordinatorDeps {
  config: CoordinatorConfig;
  txlog: TxLog;
  dsm: Dsm;
  participants: ParticipantClient[];
  leadership: Leadership;
  clock: Clock;
  logger: Logger;
  faults: Faults;
  metrics: SmMetrics;
  /** Called after a decision is logged so the relay appends the event promptly. */
  onDecided: () => void;
}

export function notLeader(hint: string | undefined): ServiceError {
  return new ServiceError('not_leader', 'this session manager is not the leader', {
    leader: hint ?? null,
    retryAfterMs: 200,
  });
}

const finalStatus: Record<Decision, SessionStatus> = { commit: 'COMMITTED', abort: 'ABORTED' };

export class Coordinator {
  constructor(private readonly d: CoordinatorDeps) {}

  private epochOrThrow(): number {
    const epoch = this.d.leadership.currentEpoch();
    if (epoch === undefined) throw notLeader(this.d.leadership.leaderHint());
    return epoch;
  }

  async createSession(request: SessionRequest, idempotencyKey: string | undefined): Promise<Outcome> {
    const started = this.d.clock.monotonicMs();
    const token = this.epochOrThrow();
    if (idempotencyKey) {
      const existing = await this.d.txlog.byIdempotencyKey(idempotencyKey);
      if (existing) return this.awaitOutcome(existing.txnId, started);
    }
    const txnId = `txn-${randomUUID()}`;
    const sessionId = `ses-${randomUUID()}`;
    const intent = {
      txnId,
      sessionId,
      protocol: request.protocol,
      kind: 'create',
      token,
      node: this.d.config.node,
      request,
      idempotencyKey: idempotencyKey ?? null,
    };
    try {
      if ((await this.d.txlog.insertIntent(intent)) === 'duplicate-key') {
        const first = await this.d.txlog.byIdempotencyKey(idempotencyKey!);
        return this.awaitOutcome(first!.txnId, started);
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
      protocol: request.protocol,
      subscriberId: request.subscriberId,
      cells: request.cells,
    });
    this.d.faults.crashPoint('after-intent-logged');
    try {
      return await this.drive(intent, started);
    } catch (err) {
      return this.abandon(intent, started, err);
    }
  }

  /** A step failed before the decision: log abort if we still can (then the outcome is known), else it is unknown. */
  private async abandon(
    intent: Pick<TxnRow, 'txnId' | 'sessionId' | 'request' | 'token'>,
    started: number,
    err: unknown,
  ): Promise<Outcome> {
    const code = isServiceError(err) ? err.code : 'internal';
    this.d.logger.warn('transaction step failed', { txnId: intent.txnId, error: (err as Error).message });
    let standing: { decision: Decision; reason: string | null };
    try {
      standing = await this.logDecision(intent.txnId, 'abort', `coordinator_${code}`, intent.token);
    } catch {
      throw new ServiceError(
        'timeout',
        'the outcome is unknown: the coordinator lost its stores mid-transaction',
        { txnId: intent.txnId, sessionId: intent.sessionId },
        false,
      );
    }
    void this.finish(intent, standing.decision, standing.reason, intent.token, 1).catch(() => {});
    return {
      sessionId: intent.sessionId,
      txnId: intent.txnId,
      outcome: standing.decision === 'commit' ? 'committed' : 'aborted',
      ...(standing.reason ? { reason: standing.reason } : {}),
      protocol: intent.request.protocol,
      timings: { totalMs: Math.round(this.d.clock.monotonicMs() - started) },
    };
  }

  private async drive(
    intent: Pick<TxnRow, 'txnId' | 'sessionId' | 'request' | 'token'>,
    started: number,
  ): Promise<Outcome> {
    const { txnId, sessionId, request, token } = intent;
    const base = this.record(intent, 'PENDING');
    let version = await this.d.dsm.cas(0, token, base);
    const prepareStarted = this.d.clock.monotonicMs();
    const votes = await this.prepareAll(txnId, token, sessionId, request);
    const prepareMs = this.d.clock.monotonicMs() - prepareStarted;
    const no = votes.find((v): v is Extract<Vote, { vote: 'no' }> => v.vote === 'no');
    let decision: Decision = 'commit';
    let reason: string | null = null;
    if (no) {
      decision = 'abort';
      reason = no.reason;
    } else {
      version = await this.d.dsm.cas(version, token, {
        ...base,
        status: 'PREPARED',
        updatedAtMs: this.d.clock.wallMs(),
      });
    }
    const standing = await this.logDecision(txnId, decision, reason, token);
    this.d.metrics.transactions.inc({
      protocol: request.protocol,
      outcome: standing.decision,
      reason: standing.reason ?? '',
    });
    this.d.metrics.txnDuration.observe(
      { protocol: request.protocol, outcome: standing.decision },
      (this.d.clock.monotonicMs() - started) / 1000,
    );
    await this.finish(intent, standing.decision, standing.reason, token, this.d.config.phase2InlineAttempts).catch(
      (err: Error) => this.d.logger.warn('phase 2 left to the finisher', { txnId, error: err.message }),
    );
    return {
      sessionId,
      txnId,
      outcome: standing.decision === 'commit' ? 'committed' : 'aborted',
      ...(standing.reason ? { reason: standing.reason } : {}),
      protocol: request.protocol,
      timings: { totalMs: Math.round(this.d.clock.monotonicMs() - started), prepareMs: Math.round(prepareMs) },
    };
  }

  private async prepareAll(txnId: string, token: number, sessionId: string, request: SessionRequest): Promise<Vote[]> {
    const body = prepareBody(token, sessionId, request);
    const calls = this.d.participants.map((p) =>
      p.prepare(txnId, body, this.d.config.prepareTimeoutMs).catch((err: unknown): Vote => {
        const code = isServiceError(err) ? err.code : 'error';
        return { vote: 'no', reason: code === 'timeout' ? 'prepare_timeout' : `participant_${code}` };
      }),
    );
    // Let the requests reach the wire before a crash point can fire.
    await new Promise((r) => setImmediate(r));
    this.d.faults.crashPoint('after-prepare-sent');
    const votes = await Promise.all(calls);
    this.d.logger.observe('votes', {
      txnId,
      token,
      votes: Object.fromEntries(this.d.participants.map((p, i) => [p.name, votes[i]])),
    });
    return votes;
  }

  private async logDecision(txnId: string, decision: Decision, reason: string | null, token: number) {
    try {
      const standing = await this.d.txlog.decide(
        txnId,
        decision,
        reason,
        token,
        this.d.config.node,
        this.d.clock.wallMs(),
      );
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
      // Fenced: a newer leader owns this transaction now. It was undecided, so that leader aborts it.
      if (isServiceError(err) && err.code === 'stale_token')
        return { decision: 'abort' as const, reason: 'leader_changed' };
      throw err;
    }
  }

  record(
    intent: Pick<TxnRow, 'txnId' | 'sessionId' | 'request'>,
    status: SessionStatus,
    reason?: string | null,
  ): SessionRecord {
    const r = intent.request;
    return {
      sessionId: intent.sessionId,
      txnId: intent.txnId,
      subscriberId: r.subscriberId,
      trafficClass: r.trafficClass,
      protocol: r.protocol,
      cells: r.cells,
      status,
      ...(reason ? { reason } : {}),
      updatedAtMs: this.d.clock.wallMs(),
    };
  }

  /**
   * Drives a decided transaction to the end: DSM final state, the decision to every participant (abort goes to
   * all, leaving tombstones where no prepare arrived), then closes the log row. Safe to repeat.
   */
  async finish(
    row: Pick<TxnRow, 'txnId' | 'sessionId' | 'request'>,
    decision: Decision,
    reason: string | null,
    token: number,
    attempts: number,
  ): Promise<boolean> {
    await this.writeFinalDsm(row, decision, reason, token);
    let acked = 0;
    for (const p of this.d.participants) {
      if (await this.sendWithRetry(p, decision, row.txnId, token, attempts)) acked++;
      if (decision === 'commit' && acked === 1) this.d.faults.crashPoint('after-one-commit-sent');
    }
    if (acked < this.d.participants.length) return false;
    await this.d.txlog.close(row.txnId, token);
    this.d.logger.observe('closed', { txnId: row.txnId, decision, token });
    return true;
  }

  private async writeFinalDsm(
    row: Pick<TxnRow, 'txnId' | 'sessionId' | 'request'>,
    decision: Decision,
    reason: string | null,
    token: number,
  ) {
    const current = await this.d.dsm.read(row.sessionId);
    const status = finalStatus[decision];
    if (current && current.record.status === status) return;
    if (current && (current.record.status === 'COMMITTED' || current.record.status === 'ABORTED')) {
      this.d.logger.error('DSM holds the other final state', {
        txnId: row.txnId,
        dsm: current.record.status,
        decision,
      });
      return;
    }
    await this.d.dsm.cas(current?.version ?? 0, token, this.record(row, status, reason));
  }

  private async sendWithRetry(
    p: ParticipantClient,
    decision: Decision,
    txnId: string,
    token: number,
    attempts: number,
  ): Promise<boolean> {
    for (let i = 0; i < attempts; i++) {
      try {
        const r = await p.send(decision, txnId, token, this.d.config.phase2TimeoutMs);
        if (r.ok) return true;
        this.d.logger.observe('phase2-refused', {
          txnId,
          participant: p.name,
          decision,
          state: r.state,
          code: r.code,
          token,
        });
        if (r.code === 'stale_token') return false;
      } catch {
        // no answer: try again
      }
      if (i + 1 < attempts) await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** i, 1000)));
    }
    return false;
  }

  /** The outcome of an earlier request with the same idempotency key, once decided (bounded wait). */
  private async awaitOutcome(txnId: string, started: number): Promise<Outcome> {
    const deadline = this.d.clock.monotonicMs() + this.d.config.duplicateWaitMs;
    for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
      const row = await this.d.txlog.get(txnId);
      if (row?.decision) {
        return {
          sessionId: row.sessionId,
          txnId,
          outcome: row.decision === 'commit' ? 'committed' : 'aborted',
          ...(row.reason ? { reason: row.reason } : {}),
          protocol: row.protocol,
          timings: { totalMs: Math.round(this.d.clock.monotonicMs() - started) },
        };
      }
      if (this.d.clock.monotonicMs() + delay > deadline) break;
      await new Promise((r) => setTimeout(r, delay));
    }
    throw new ServiceError(
      'timeout',
      `the first request with this idempotency key (${txnId}) is still undecided`,
      { txnId },
      false,
    );
  }
}
