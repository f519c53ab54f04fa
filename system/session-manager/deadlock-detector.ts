// The leader's distributed deadlock detector (DESIGN section 2, beyond the spec's lock timeouts). Every interval it
// collects every participant's wait-for edges, finds the cycles, and aborts the youngest transaction of each: the
// abort is logged first (reason deadlock_victim, fenced like any decision, first decision wins), then the victim's
// waiting prepare is cancelled, so it votes no and its coordinator aborts it everywhere, releasing its locks.
// With RIG_DEADLOCK_DETECTOR=off it only watches: cycles are still found and recorded, and when one goes away (a
// lock timeout's doing) it is recorded with method `timeout`. Each deadlock is recorded as a `deadlock` observation
// when found (no resolvedAt) and again when gone (with resolvedAt).
import type { Clock, TimerHandle } from '../common/clock.ts';
import type { Logger } from '../common/log.ts';
import type { Leadership } from './coordinator.ts';
import type { SmMetrics } from './metrics.ts';
import type { WaitSource } from './participants.ts';
import type { TxLog } from './txlog.ts';
import {
  type Cycle,
  cycleKey,
  cyclePresent,
  findCycles,
  formedAtMs,
  longestWaiter,
  type WaitForEdge,
  youngest,
} from './wait-for.ts';

export type DetectorMode = 'on' | 'off';

export interface DetectorConfig {
  mode: DetectorMode;
  intervalMs: number;
  /** Deadline of each call to a participant (collecting edges, cancelling a victim). */
  callTimeoutMs: number;
  /** Cycles handled per pass; more wait for the next pass. */
  cyclesMax: number;
}

export interface DetectorDeps {
  config: DetectorConfig;
  sources: readonly WaitSource[];
  txlog: TxLog;
  leadership: Leadership;
  clock: Clock;
  logger: Logger;
  metrics: SmMetrics;
  node: string;
  /** Called after a victim's abort is logged, so the relay appends its event promptly. */
  onDecided: () => void;
  /** Whether this node has prepares in flight: only a running prepare can wait for a lock, so idle passes skip. */
  preparing: () => boolean;
}

interface Tracked {
  cycle: Cycle;
  edges: WaitForEdge[];
  method: 'detector' | 'timeout';
  victim: string | undefined;
  detectedAtMs: number;
  formedAtMs: number;
}

/** Deadlocks followed at once, at most (found and not yet gone); the oldest are dropped beyond it. */
const trackedMax = 1000;

export class DeadlockDetector {
  private timer: TimerHandle | undefined;
  private running = false;
  private epoch: number | undefined;
  private readonly tracked = new Map<string, Tracked>();

  constructor(private readonly d: DetectorDeps) {}

  start(): void {
    this.timer = this.d.clock.setInterval(() => void this.pass(), this.d.config.intervalMs);
  }

  stop(): void {
    this.d.clock.clearInterval(this.timer);
  }

  /** One pass: collect, record the deadlocks that are gone, handle the cycles found. */
  async pass(): Promise<void> {
    if (this.running) return;
    const epoch = this.d.leadership.currentEpoch();
    if (epoch !== this.epoch) this.tracked.clear(); // a new leadership starts afresh (or stops, when not leading)
    this.epoch = epoch;
    if (epoch === undefined) return;
    if (!this.d.preparing() && this.tracked.size === 0) return;
    this.running = true;
    try {
      const { edges, complete } = await this.collect();
      const nowMs = this.d.clock.wallMs();
      // Gone is only known when every participant answered: a missing edge may just be a missing answer.
      if (complete) await this.settle(edges, nowMs);
      for (const cycle of findCycles(edges, this.d.config.cyclesMax)) await this.handle(cycle, edges, nowMs, epoch);
    } catch (err) {
      this.d.logger.warn('deadlock detection pass failed', { error: (err as Error).message });
    } finally {
      this.running = false;
    }
  }

  private async collect(): Promise<{ edges: WaitForEdge[]; complete: boolean }> {
    const answers = await Promise.all(
      this.d.sources.map((s) =>
        s
          .waits(this.d.config.callTimeoutMs)
          .then((edges) => edges.map((e) => ({ ...e, participant: s.name })))
          .catch(() => undefined),
      ),
    );
    return { edges: answers.flatMap((a) => a ?? []), complete: answers.every((a) => a !== undefined) };
  }

  private async settle(edges: WaitForEdge[], nowMs: number): Promise<void> {
    for (const [key, t] of this.tracked) {
      if (cyclePresent(t.cycle, edges)) continue;
      this.tracked.delete(key);
      await this.resolved(t, nowMs);
    }
  }

  private async handle(cycle: Cycle, edges: WaitForEdge[], nowMs: number, epoch: number): Promise<void> {
    const known = this.tracked.get(cycleKey(cycle));
    if (known) {
      // Still there: the cancel may have raced the victim's next lock wait. Cancelling again is idempotent.
      if (known.victim) await this.cancelWaits(known.victim, edges, epoch);
      return;
    }
    const victims = new Set([...this.tracked.values()].map((t) => t.victim));
    if (cycle.some((t) => victims.has(t))) return; // a victim already being aborted breaks this one too
    const own = edges.filter((e) => cycle.includes(e.txnId) && cycle.includes(e.waitsFor));
    const t: Tracked = {
      cycle,
      edges: own,
      method: this.d.config.mode === 'on' ? 'detector' : 'timeout',
      victim: undefined,
      detectedAtMs: nowMs,
      formedAtMs: Math.round(formedAtMs(cycle, own, nowMs)),
    };
    if (t.method === 'detector') {
      t.victim = await this.abortYoungest(cycle, own, epoch);
      if (!t.victim) return;
    }
    this.track(t);
    this.d.logger.observe('deadlock', this.describe(t));
  }

  /** Logs abort for the cycle's youngest undecided txn, then cancels its waiting prepares; returns it. */
  private async abortYoungest(cycle: Cycle, edges: WaitForEdge[], epoch: number): Promise<string | undefined> {
    const rows = await this.d.txlog.many(cycle);
    // Decided or pre-committed txns are past prepare: an edge naming one as a waiter is already stale.
    const open = new Map(
      rows.filter((r) => r.decision === null && !r.precommitted).map((r) => [r.txnId, r.createdAtMs]),
    );
    const victim = youngest(cycle, open);
    if (!victim) return undefined;
    const standing = await this.d.txlog.decide(
      victim,
      'abort',
      'deadlock_victim',
      epoch,
      this.d.node,
      this.d.clock.wallMs(),
    );
    this.d.logger.observe('decision', {
      txnId: victim,
      decision: standing.decision,
      reason: standing.reason,
      token: epoch,
      proposed: 'abort',
      via: 'deadlock-detector',
    });
    if (standing.decision !== 'abort') return undefined;
    this.d.onDecided();
    await this.cancelWaits(victim, edges, epoch);
    return victim;
  }

  private async cancelWaits(victim: string, edges: WaitForEdge[], epoch: number): Promise<void> {
    const where = new Set(edges.filter((e) => e.txnId === victim).map((e) => e.participant));
    await Promise.all(
      this.d.sources
        .filter((s) => where.has(s.name))
        .map((s) => s.cancel(victim, epoch, this.d.config.callTimeoutMs).catch(() => false)),
    );
  }

  private async resolved(t: Tracked, nowMs: number): Promise<void> {
    if (!t.victim) {
      // Off: whoever's lock timeout fired is the victim: of those the log says aborted (on a slow machine more than
      // one may time out), the one that waited longest; with none logged yet, the longest waiter.
      const rows = await this.d.txlog.many(t.cycle).catch(() => []);
      const aborted = rows.filter((r) => r.decision === 'abort').map((r) => r.txnId);
      t.victim = longestWaiter(aborted.length > 0 ? aborted : t.cycle, t.edges);
    }
    const resolutionMs = Math.max(0, nowMs - t.formedAtMs);
    this.d.logger.observe('deadlock', { ...this.describe(t), resolvedAt: nowMs, resolutionMs });
    this.d.metrics.deadlocks.inc({ method: t.method });
    this.d.metrics.deadlockResolution.observe({ method: t.method }, resolutionMs / 1000);
  }

  private track(t: Tracked): void {
    if (this.tracked.size >= trackedMax) {
      const oldest = this.tracked.keys().next().value;
      if (oldest !== undefined) this.tracked.delete(oldest);
    }
    this.tracked.set(cycleKey(t.cycle), t);
  }

  private describe(t: Tracked): Record<string, unknown> {
    return {
      cycle: t.cycle,
      ...(t.victim ? { victim: t.victim } : {}),
      method: t.method,
      detectedAt: t.detectedAtMs,
      formedAt: t.formedAtMs,
      edges: t.edges.map((e) => ({
        participant: e.participant,
        txnId: e.txnId,
        waitsFor: e.waitsFor,
        resource: e.resource,
      })),
    };
  }
}
