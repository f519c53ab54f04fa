// The outbox relay (spec section 11): appends each decided transaction's event to the Redis stream, at most once
// per txn id (the Lua script dedupes), a pass's rows in one script call, then marks them sent, in one statement. A
// crash between the decision's commit and the append only delays the event: the next pass (on this leader or the
// next) appends it.
import type { Clock, TimerHandle } from '../common/clock.ts';
import type { CrashPoint } from '../common/faults.ts';
import type { Logger } from '../common/log.ts';
import type { Leadership } from './coordinator.ts';
import type { SmMetrics } from './metrics.ts';
import type { EventStream } from './store.ts';
import type { OutboxRow, TxLog } from './txlog.ts';

export class Relay {
  private timer: TimerHandle | undefined;
  private running = false;
  private again = false;
  private lingering: TimerHandle | undefined;

  constructor(
    private readonly txlog: TxLog,
    private readonly stream: EventStream,
    private readonly leadership: Leadership,
    private readonly logger: Logger,
    private readonly metrics: SmMetrics,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly batchMax: number,
    private readonly crashPoint: (point: CrashPoint) => void,
    /** A kick's pass starts this many ms later, so the decisions of that window go in one pass (0: at once). */
    private readonly lingerMs = 0,
  ) {}

  start(): void {
    this.timer = this.clock.setInterval(() => this.kick(), this.intervalMs);
  }

  stop(): void {
    this.clock.clearInterval(this.timer);
    this.clock.clearTimeout(this.lingering);
  }

  /** Runs a pass after the linger (or right after the current one). */
  kick(): void {
    if (!this.lingerMs) {
      this.passSoon();
      return;
    }
    this.lingering ??= this.clock.setTimeout(() => {
      this.lingering = undefined;
      this.passSoon();
    }, this.lingerMs);
  }

  private passSoon(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    void this.pass();
  }

  private async markSent(rows: readonly OutboxRow[], streamIds: readonly string[], epoch: number): Promise<void> {
    await this.txlog.markSent(rows.map((row, i) => ({ id: row.id, streamId: streamIds[i]! })));
    rows.forEach((row, i) => {
      this.metrics.eventsEmitted.inc();
      this.logger.observe('event-emitted', {
        txnId: row.txnId,
        sessionId: row.sessionId,
        streamId: streamIds[i],
        token: epoch,
      });
    });
  }

  private async pass(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        const epoch = this.leadership.currentEpoch();
        if (epoch === undefined) return;
        const rows = await this.txlog.unsentEvents(this.batchMax);
        if (rows.length === 0) continue;
        // The whole pass in outbox order in one append, so a session's events never overtake each other: if it
        // fails, the next pass sends them all again, and the stream keeps one entry per txn id.
        const streamIds = await this.stream.emit(rows, epoch);
        // Before the crash point: the rig counts a txn appended by two passes as a re-send.
        this.logger.observe('relay-append', { txnIds: rows.map((r) => r.txnId), token: epoch });
        this.crashPoint('relay-after-append');
        await this.markSent(rows, streamIds, epoch);
        if (rows.length === this.batchMax) this.again = true;
      } while (this.again);
    } catch (err) {
      this.logger.warn('relay pass failed', { error: (err as Error).message });
    } finally {
      this.running = false;
    }
  }
}
