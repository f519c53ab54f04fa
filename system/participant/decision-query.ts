// A participant holding a prepared transaction too long asks the session managers for the decision (spec 6,
// issue 3 item 7): the leader may have died between deciding and telling us, and a prepared transaction holds its
// row locks until someone resolves it. Every pass is bounded: a few transactions, a few calls, each with a deadline.
// 3PC's participant timeout rule is the same by default: a transaction pre-committed too long asks as well, and
// never commits on its own (that stays safe under partitions). Only the planted bug 3pc-timeout-commit commits it.
import type { Clock } from '../common/clock.ts';
import type { DecisionReply } from '../common/contract.ts';
import type { Logger } from '../common/log.ts';
import type { PeerPort } from '../common/peer-port.ts';
import { Periodic } from '../common/periodic.ts';
import { parseDecision } from './contract.ts';
import type { ParticipantMetrics } from './metrics.ts';
import type { Participant } from './participant.ts';
import type { ParticipantStore, PreparedTxn } from './ports.ts';

export interface DecisionQueryOptions {
  /** Ask about transactions prepared at least this long ago. */
  queryAfterMs: number;
  /** 3PC: a transaction pre-committed at least this long ago has timed out. */
  precommitTimeoutMs: number;
  /** Planted bug: on that timeout, commit without asking. */
  commitOnPrecommitTimeout: boolean;
  intervalMs: number;
  /** Transactions asked about per pass. */
  perPassMax: number;
  callTimeoutMs: number;
  /** Prepared transactions counted for the in-doubt gauge per pass (bounded by max_prepared_transactions). */
  scanMax: number;
}

export const defaultDecisionQueryOptions: Omit<
  DecisionQueryOptions,
  'queryAfterMs' | 'precommitTimeoutMs' | 'commitOnPrecommitTimeout'
> = {
  intervalMs: 1000,
  perPassMax: 4,
  callTimeoutMs: 1000,
  scanMax: 10_000,
};

export class DecisionQueries {
  private readonly loop: Periodic;
  /** The manager that answered last: asked first next time. */
  private lastLeader: string | undefined;

  constructor(
    private readonly store: Pick<ParticipantStore, 'prepared'>,
    private readonly participant: Participant,
    /** Session managers by node name. */
    private readonly managers: ReadonlyMap<string, PeerPort>,
    private readonly logger: Logger,
    private readonly metrics: ParticipantMetrics,
    clock: Clock,
    private readonly opts: DecisionQueryOptions,
  ) {
    this.loop = new Periodic(
      opts.intervalMs,
      () => this.pass(),
      (err) => this.logger.warn('decision query pass failed', { error: err.message }),
      clock,
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass: refresh the in-doubt gauge, then ask about the oldest overdue transactions. */
  async pass(): Promise<void> {
    const prepared = await this.store.prepared(this.opts.scanMax);
    this.metrics.inDoubt.set(prepared.length);
    if (this.managers.size === 0) return;
    const timedOut = (p: PreparedTxn) =>
      p.precommitAgeMs === null ? p.ageMs >= this.opts.queryAfterMs : p.precommitAgeMs >= this.opts.precommitTimeoutMs;
    const due = prepared.filter(timedOut).slice(0, this.opts.perPassMax);
    for (const p of due) {
      if (this.loop.stopped) return;
      if (p.precommitAgeMs !== null && this.opts.commitOnPrecommitTimeout) await this.commitOnTimeout(p.txnId);
      else await this.resolve(p.txnId, p.precommitAgeMs !== null);
    }
  }

  /** The planted bug's unsafe rule: pre-committed and timed out, so commit without the leader's word. */
  private async commitOnTimeout(txnId: string): Promise<void> {
    this.logger.observe('decision-query', { txnId, answer: 'commit', from: 'timeout', precommitted: true });
    await this.participant.commit(txnId, this.participant.highestToken, 'timeout').catch((err: Error) => {
      this.logger.warn('committing on pre-commit timeout failed', { txnId, error: err.message });
    });
  }

  /** `precommitted`: asked because 3PC's pre-commit timed out (else: prepared too long). */
  private async resolve(txnId: string, precommitted: boolean): Promise<void> {
    const reply = await this.ask(txnId);
    const said = reply?.answer.decision ?? 'no_answer';
    this.logger.observe('decision-query', { txnId, answer: said, from: reply?.from, precommitted });
    const answer = reply?.answer;
    if (!answer || answer.decision === 'undecided') return;
    const apply = answer.decision === 'commit' ? this.participant.commit : this.participant.abort;
    await apply.call(this.participant, txnId, answer.token, 'decision-query').catch((err: Error) => {
      this.logger.warn('applying the queried decision failed', {
        txnId,
        decision: answer.decision,
        error: err.message,
      });
    });
  }

  /** Asks the managers in turn (the last leader first, then any leader hint), each call with a deadline. */
  private async ask(txnId: string): Promise<{ answer: DecisionReply; from: string } | undefined> {
    const order = [...this.managers.keys()];
    if (this.lastLeader) order.unshift(this.lastLeader);
    const asked = new Set<string>();
    const callsMax = this.managers.size + 1;
    for (let calls = 0; calls < callsMax && order.length > 0; ) {
      const name = order.shift()!;
      const peer = this.managers.get(name);
      if (!peer || asked.has(name)) continue;
      asked.add(name);
      calls++;
      const reply = await peer
        .call('GET', `/v1/txn/${encodeURIComponent(txnId)}/decision`, undefined, { timeoutMs: this.opts.callTimeoutMs })
        .catch(() => undefined);
      const answer = reply?.status === 200 ? parseDecision(reply.body) : undefined;
      if (answer) {
        this.lastLeader = name;
        return { answer, from: name };
      }
      const hint = (reply?.body as { leader?: unknown } | undefined)?.leader;
      if (typeof hint === 'string' && !asked.has(hint)) order.unshift(hint);
    }
    return undefined;
  }
}
