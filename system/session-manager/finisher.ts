// Recovery and phase-2 retries, run only by the ready leader (DESIGN section 2): every unfinished transaction in
// the log is driven to its end. Decided: re-drive the decision, once it is one interval old and this process is not
// driving it already (its coordinator finishes it inline; re-driving alongside only doubled the messages: 2-8% of
// transactions were closed twice under load). Undecided and started under an older epoch (its
// coordinator is gone), or ours but older than any request could take: decide by recovery.ts's rule (2PC: presumed
// abort; 3PC: commit if pre-committed, else abort).
import type { Clock, TimerHandle } from '../common/clock.ts';
import type { Decision, DecisionReply } from '../common/contract.ts';
import type { Logger } from '../common/log.ts';
import type { Leadership } from './coordinator.ts';
import type { Delivery } from './delivery.ts';
import type { SmMetrics } from './metrics.ts';
import type { ParticipantClient } from './participants.ts';
import { recoveryDecision } from './recovery.ts';
import type { TxLog, TxnRow } from './txlog.ts';

export interface FinisherConfig {
  intervalMs: number;
  batchMax: number;
  /** An undecided transaction of the current epoch older than this is abandoned (its request has given up). */
  abandonAfterMs: number;
  /** Deadline of each participant state query made by the 3PC recovery rule. */
  queryTimeoutMs: number;
}

/** Transactions a pass finishes side by side. */
const finishTogether = 16;

export class Finisher {
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(
    private readonly txlog: TxLog,
    private readonly delivery: Delivery,
    private readonly participants: readonly ParticipantClient[],
    private readonly leadership: Leadership,
    private readonly config: FinisherConfig,
    private readonly metrics: SmMetrics,
    private readonly logger: Logger,
    private readonly node: string,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.timer = this.clock.setInterval(() => void this.pass(), this.config.intervalMs);
  }

  stop(): void {
    this.clock.clearInterval(this.timer);
  }

  /** One pass over the unfinished transactions; returns how many it closed. */
  async pass(): Promise<number> {
    if (this.running) return 0;
    const epoch = this.leadership.currentEpoch();
    if (epoch === undefined) {
      this.metrics.inDoubt.set(0); // only the leader reports the log's open transactions
      return 0;
    }
    this.running = true;
    let closed = 0;
    try {
      this.metrics.inDoubt.set(await this.txlog.openCount());
      const rows = await this.txlog.unfinished(this.config.batchMax, this.config.intervalMs);
      // Several at once: a new leader's predecessor may leave many in flight, each waiting on participants, and the
      // retries of their requests wait for these outcomes.
      for (let i = 0; i < rows.length; i += finishTogether) {
        if (this.leadership.currentEpoch() !== epoch) break;
        const some = rows.slice(i, i + finishTogether).filter((row) => !this.delivery.isDriving(row.txnId));
        const done = await Promise.all(
          some.map((row) => this.finishOne(row, epoch).catch((err: Error) => this.failed(row, err))),
        );
        closed += done.filter(Boolean).length;
      }
    } catch (err) {
      this.logger.warn('recovery pass failed', { error: (err as Error).message });
    } finally {
      this.running = false;
    }
    return closed;
  }

  private failed(row: TxnRow, err: Error): boolean {
    this.logger.warn('could not finish transaction yet', { txnId: row.txnId, error: err.message });
    return false;
  }

  private async finishOne(row: TxnRow, epoch: number): Promise<boolean> {
    let decision: Decision | null = row.decision;
    let reason = row.reason;
    const ours = row.token === epoch;
    if (decision === null && ours && this.clock.wallMs() - row.createdAtMs < this.config.abandonAfterMs) return false;
    // The rig counts the recovery path from this line (once per leader and transaction: passes repeat it).
    this.logger.observe('recovery', { txnId: row.txnId, decided: decision !== null, token: epoch });
    if (decision === null) {
      ({ decision, reason } = await this.recover(row, epoch, 'recovery'));
      this.metrics.recovered.inc({ decision });
    }
    const { delivered, closed } = await this.delivery.finish(row, decision, reason, epoch, 1);
    return delivered && (await closed);
  }

  /** Applies the recovery rule to an undecided row and logs the result (first decision logged wins). */
  private async recover(row: TxnRow, epoch: number, via: string) {
    const rule = await recoveryDecision(row, this.participants, this.config.queryTimeoutMs);
    const standing = await this.txlog.decide(
      row.txnId,
      rule.decision,
      rule.reason,
      epoch,
      this.node,
      this.clock.wallMs(),
    );
    this.logger.observe('decision', {
      txnId: row.txnId,
      decision: standing.decision,
      reason: standing.reason,
      token: epoch,
      proposed: rule.decision,
      via,
      protocol: row.protocol,
      precommitted: row.precommitted,
    });
    return standing;
  }

  /** What a participant asking about `txnId` should do (presumed abort when the log has no row). */
  async decisionFor(txnId: string): Promise<DecisionReply | undefined> {
    const epoch = this.leadership.currentEpoch();
    if (epoch === undefined) return undefined;
    const row = await this.txlog.get(txnId);
    if (!row) return { decision: 'abort', token: epoch };
    if (row.decision) return { decision: row.decision, token: epoch };
    if (row.token < epoch)
      return { decision: (await this.recover(row, epoch, 'decision-query')).decision, token: epoch };
    return { decision: 'undecided', token: epoch };
  }
}
