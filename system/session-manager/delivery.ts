// Telling the participants what was decided (spec sections 6 and 7): 3PC's pre-commit round, and phase 2 (DSM
// final state, the decision to every participant, then the log row closed). Every message carries the leader's
// token and is idempotent by txn id on the participant's side, so a retry, or a whole re-drive by recovery, is safe.
import type { Clock } from '../common/clock.ts';
import type { Decision, Phase2, Revision } from '../common/contract.ts';
import { isServiceError } from '../common/errors.ts';
import type { CrashPoint, Faults } from '../common/faults.ts';
import type { Logger } from '../common/log.ts';
import type { ParticipantClient } from './participants.ts';
import type { Dsm, SessionRecord, TxnStage } from './store.ts';
import type { SessionRequest, TxLog, TxnRow } from './txlog.ts';

export interface DeliveryConfig {
  phase2TimeoutMs: number;
}

export interface DeliveryDeps {
  config: DeliveryConfig;
  txlog: TxLog;
  dsm: Dsm;
  participants: ParticipantClient[];
  clock: Clock;
  logger: Logger;
  faults: Faults;
}

type RowRef = Pick<TxnRow, 'txnId' | 'sessionId' | 'request'>;

export interface Finished {
  /** Every participant acknowledged the decision. */
  delivered: boolean;
  /** The DSM record shows the decision (or, for a change that never claimed it, never needed to). */
  dsm: boolean;
  /** Whether the log row got closed (false: not delivered, or the close failed and the finisher retries it). */
  closed: Promise<boolean>;
}

const finalStage: Record<Decision, TxnStage> = { commit: 'COMMITTED', abort: 'ABORTED' };
const retryDelayMaxMs = 1000;

/** The session's revision once a transaction of `request` has ended with `decision`. */
export function revisionAfter(request: SessionRequest, decision: Decision): Revision {
  const before = request.base?.revision ?? 0;
  return decision === 'commit' ? before + 1 : before;
}

/**
 * The DSM record a transaction writes at `stage`. A create's record is the session, in the create's stage. A
 * modify or release keeps the session as it found it (`base`, active) and names the change while it runs; once
 * committed the record is the changed session (or the released one) at the next revision, once aborted the session
 * as it was.
 */
export function sessionRecord(row: RowRef, stage: TxnStage, nowMs: number, reason?: string | null): SessionRecord {
  const r = row.request;
  const common = {
    sessionId: row.sessionId,
    txnId: row.txnId,
    txnState: stage,
    subscriberId: r.subscriberId,
    protocol: r.protocol,
    ...(reason ? { reason } : {}),
    updatedAtMs: nowMs,
  };
  const { base } = r;
  const after = stage === 'COMMITTED' ? revisionAfter(r, 'commit') : revisionAfter(r, 'abort');
  if (!base) return { ...common, trafficClass: r.trafficClass, cells: r.cells, status: stage, revision: after };
  const kind = r.kind === 'release' ? 'release' : 'modify';
  const found = { ...common, trafficClass: base.trafficClass, cells: base.cells, revision: after };
  if (stage === 'COMMITTED' && kind === 'release') return { ...found, status: 'RELEASED' };
  if (stage === 'COMMITTED') return { ...found, trafficClass: r.trafficClass, cells: r.cells, status: 'COMMITTED' };
  if (stage === 'ABORTED') return { ...found, status: 'COMMITTED' };
  return { ...found, status: 'COMMITTED', change: { kind, trafficClass: r.trafficClass, cells: r.cells } };
}

export class Delivery {
  /** Transactions this process is driving to their end now. */
  private readonly driving = new Set<string>();

  constructor(private readonly d: DeliveryDeps) {}

  /** Whether this process is driving `txnId` to its end now (the finisher leaves it alone). */
  isDriving(txnId: string): boolean {
    return this.driving.has(txnId);
  }

  /**
   * 3PC: pre-commit to every participant at once (the decision to pre-commit is logged, so the order does not
   * matter); true once all acknowledged (within `attempts` each).
   */
  async precommitAll(txnId: string, token: number, attempts: number): Promise<boolean> {
    return this.sendToAll('precommit', txnId, token, attempts, 'after-one-precommit-sent');
  }

  /** Sends `phase` to every participant at once; true once all acknowledged. `crashPoint` fires at the first. */
  private async sendToAll(
    phase: Phase2,
    txnId: string,
    token: number,
    attempts: number,
    crashPoint?: CrashPoint,
  ): Promise<boolean> {
    let acked = 0;
    const sent = this.d.participants.map(async (p) => {
      if (!(await this.sendWithRetry(p, phase, txnId, token, attempts))) return;
      acked++;
      if (crashPoint && acked === 1) this.d.faults.crashPoint(crashPoint);
    });
    await Promise.all(sent);
    return acked === this.d.participants.length;
  }

  /**
   * Drives a decided transaction to the end: DSM final state, the decision to every participant (abort goes to
   * all, leaving tombstones where no prepare arrived), then closes the log row. Safe to repeat.
   * `dsmVersion`: the version of the DSM record as the caller last wrote it, when it knows it (the coordinator
   * does; recovery does not). Resolves once the participants have answered: a client's request waits for its
   * outcome to be in place everywhere, not for the close, which only tells recovery there is nothing left to do.
   */
  async finish(
    row: RowRef,
    decision: Decision,
    reason: string | null,
    token: number,
    attempts: number,
    dsmVersion?: number,
  ): Promise<Finished> {
    this.driving.add(row.txnId);
    let closed = Promise.resolve(false);
    try {
      const { delivered, dsm } = await this.deliver(row, decision, reason, token, attempts, dsmVersion);
      if (delivered && dsm) closed = this.close(row, decision, token);
      return { delivered, dsm, closed };
    } finally {
      void closed.then(() => this.driving.delete(row.txnId));
    }
  }

  private async deliver(
    row: RowRef,
    decision: Decision,
    reason: string | null,
    token: number,
    attempts: number,
    dsmVersion: number | undefined,
  ): Promise<Pick<Finished, 'delivered' | 'dsm'>> {
    // The DSM's final state and the decision to every participant, all at once: the decision is logged, so the
    // order they learn it in does not matter, and phase 2 then takes one round trip instead of one per store.
    const [dsm, delivered] = await Promise.all([
      this.writeFinalDsm(row, decision, reason, token, dsmVersion).then(
        () => true,
        (err: Error) => {
          this.d.logger.warn('final DSM write left to the finisher', { txnId: row.txnId, error: err.message });
          return false;
        },
      ),
      this.sendToAll(decision, row.txnId, token, attempts, decision === 'commit' ? 'after-one-commit-sent' : undefined),
    ]);
    return { delivered, dsm };
  }

  private async close(row: RowRef, decision: Decision, token: number): Promise<boolean> {
    try {
      await this.d.txlog.close(row.txnId, token);
    } catch (err) {
      this.d.logger.warn('closing left to the finisher', { txnId: row.txnId, error: (err as Error).message });
      return false;
    }
    this.d.logger.observe('closed', { txnId: row.txnId, decision, token });
    return true;
  }

  private async writeFinalDsm(
    row: RowRef,
    decision: Decision,
    reason: string | null,
    token: number,
    knownVersion: number | undefined,
  ) {
    const stage = finalStage[decision];
    const record = () => sessionRecord(row, stage, this.d.clock.wallMs(), reason);
    if (knownVersion !== undefined) {
      // The compare-and-swap itself checks that nobody wrote the record since: no read first. On a version
      // conflict (someone else moved it on) decide from what is there, below, as recovery does.
      try {
        await this.d.dsm.cas(knownVersion, token, record());
        return;
      } catch (err) {
        if (!isServiceError(err) || err.code !== 'conflict') throw err;
      }
    }
    const current = await this.d.dsm.read(row.sessionId);
    // Only a record this transaction wrote is finished by it. One naming another transaction was never claimed by
    // this change (its claim failed, and it aborted), or moved on after this one ended; a change whose session has
    // no record never claimed one either. A create's record that does not exist yet is written from nothing.
    if (current ? current.record.txnId !== row.txnId : row.request.base) return;
    const found = current?.record.txnState;
    if (found === stage) return;
    if (found === 'COMMITTED' || found === 'ABORTED') {
      this.d.logger.error('DSM holds the other final state', { txnId: row.txnId, dsm: found, decision });
      return;
    }
    await this.d.dsm.cas(current?.version ?? 0, token, record());
  }

  private async sendWithRetry(
    p: ParticipantClient,
    phase: Phase2,
    txnId: string,
    token: number,
    attempts: number,
  ): Promise<boolean> {
    for (let i = 0; i < attempts; i++) {
      try {
        const r = await p.send(phase, txnId, token, this.d.config.phase2TimeoutMs);
        if (r.ok) return true;
        this.d.logger.observe('phase2-refused', {
          txnId,
          participant: p.name,
          decision: phase,
          state: r.state,
          code: r.code,
          token,
        });
        if (r.code === 'stale_token' || (phase === 'precommit' && r.code === 'conflict')) return false;
      } catch {
        // no answer: try again
      }
      if (i + 1 < attempts) await this.d.clock.sleep(Math.min(50 * 2 ** i, retryDelayMaxMs));
    }
    return false;
  }
}
