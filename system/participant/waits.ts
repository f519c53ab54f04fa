// The participant's wait-for edges (DESIGN section 2, deadlocks beyond the spec). While a prepare has been in one
// reservation statement for an interval or longer, it reads pg_locks every interval and names each edge by txn: the waiter (a running prepare) and the holder
// (a running prepare, or a prepared transaction by its gid). A cycle across participants is invisible to each
// Postgres, so the leader collects these edges from every participant (GET /v1/waits) and looks for cycles.
// Each edge is recorded as a `lock-wait` observation when first seen (no `end`) and again when gone (with `end`).
// The Postgres implementation of the core's LockWaits port (ports.ts).
import type { Clock } from '../common/clock.ts';
import type { Logger } from '../common/log.ts';
import { Periodic } from '../common/periodic.ts';
import type { Queryable, Statements } from '../common/statements.ts';
import type { InFlightPrepares } from './inflight.ts';
import type { LockWaits, WaitEdge, WaitsSnapshot } from './ports.ts';

interface Tracked {
  edge: WaitEdge;
  startMs: number;
}

type Row = Record<string, unknown>;

/** Edges read at once, at most: a bound on what one reading can hold (in-flight prepares bound it anyway). */
const edgesMax = 10_000;

export class WaitGraph implements LockWaits {
  private readonly loop: Periodic;
  private tracked = new Map<string, Tracked>();
  private readAtMs = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly sql: Queryable,
    private readonly statements: Statements,
    private readonly inflight: InFlightPrepares,
    private readonly gidPrefix: string,
    private readonly node: string,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {
    this.loop = new Periodic(
      intervalMs,
      () => this.refresh(),
      (err) => this.logger.warn('reading lock waits failed', { error: err.message }),
      clock,
    );
    inflight.onMovedOn((txnId, resource) => this.waitEnded(txnId, resource));
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** The current edges: the last reading if it is younger than the interval, else a new one. */
  async snapshot(): Promise<WaitsSnapshot> {
    if (this.clock.monotonicMs() - this.readAtMs >= this.intervalMs) await this.refresh();
    const ageMs = Math.max(0, this.clock.monotonicMs() - this.readAtMs);
    const edges = [...this.tracked.values()].map((t) => ({ ...t.edge, waitedMs: t.edge.waitedMs + ageMs }));
    return { edges, ageMs };
  }

  /** Reads the edges now (one reading at a time; callers during a reading share it). */
  refresh(): Promise<void> {
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  /**
   * Whether some prepare has been in one reservation statement for at least an interval. Reading pg_locks and
   * pg_stat_activity costs Postgres 2 to 16 ms each time under load (every lock partition and backend is looked
   * at), and was done every interval whenever any prepare ran. Until a statement has run that long, a wait in it
   * would not have been seen by most readings anyway, and a deadlock lasts until it is broken, so it is seen one
   * interval later at most.
   */
  private someoneMayWait(): boolean {
    const since = this.inflight.oldestLockingSinceMs();
    return since !== undefined && this.clock.monotonicMs() - since >= this.intervalMs;
  }

  private async read(): Promise<void> {
    const rows = this.someoneMayWait() ? await this.statements.run(this.sql, 'waits') : [];
    const nowMs = this.clock.wallMs();
    const seen = new Map<string, WaitEdge>();
    for (const row of rows.slice(0, edgesMax)) {
      const edge = this.edgeOf(row);
      // The resource is part of the edge: a prepare that moves on to its next lock and waits for the same holder
      // again is a new wait, whose start and end records must pair (collect pairs them by resource too).
      if (edge) seen.set(`${edge.txnId}>${edge.waitsFor}>${edge.resource}`, edge);
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

  /**
   * The prepare `txnId` no longer waits on `resource` (its statement answered, or the prepare ended): its waits
   * there end now. Left to the next reading, the end was recorded up to an interval late, after the run's quiet
   * window could already have seen every transaction finished and collected the records without it.
   */
  private waitEnded(txnId: string, resource: string): void {
    for (const [key, t] of this.tracked) {
      if (t.edge.txnId !== txnId || t.edge.resource !== resource) continue;
      this.tracked.delete(key);
      this.record(t.edge, t.startMs, this.clock.wallMs());
    }
  }

  private edgeOf(row: Row): WaitEdge | undefined {
    const waiter = this.inflight.byBackendXid(Number(row.waiter_pid), (row.waiter_xid as string | null) ?? null);
    if (!waiter) return undefined; // not one of our prepares (or it has moved on since the reading)
    let holder: string;
    const gid = row.blocker_gid as string | null;
    if (gid) holder = gid.startsWith(this.gidPrefix) ? gid.slice(this.gidPrefix.length) : gid;
    else {
      const pid = Number(row.blocker_pid);
      if (pid === 0) return undefined; // a prepared holder we could not name
      holder = this.inflight.byBackendXid(pid, (row.blocker_xid as string | null) ?? null)?.txnId ?? `pid:${pid}`;
    }
    if (holder === waiter.txnId) return undefined;
    return { txnId: waiter.txnId, waitsFor: holder, resource: waiter.resource, waitedMs: Number(row.waited_ms) || 0 };
  }

  private record(edge: WaitEdge, startMs: number, endMs: number | undefined): void {
    this.logger.observe('lock-wait', {
      participant: this.node,
      txnId: edge.txnId,
      waitsFor: edge.waitsFor,
      resource: edge.resource,
      start: startMs,
      ...(endMs === undefined ? {} : { end: endMs }),
    });
  }

  /**
   * Makes a running prepare a deadlock victim: it votes no (`deadlock_victim`), and if it is waiting for a lock
   * that statement is cancelled. Returns whether the prepare was running here.
   */
  async cancel(txnId: string): Promise<boolean> {
    const entry = this.inflight.get(txnId);
    if (!entry) return false;
    entry.victim = true;
    await this.statements.run(this.sql, 'cancel_backend', [entry.pid, entry.xid]);
    this.logger.observe('deadlock-victim-cancelled', { participant: this.node, txnId, resource: entry.resource });
    return true;
  }
}
