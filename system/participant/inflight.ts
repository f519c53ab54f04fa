// The prepares running right now, by txn: which Postgres backend and transaction id each runs in and which
// resource it is locking. Only a running prepare can wait for a lock, so this is all the wait-for graph needs to
// name waiters and in-progress holders, and all the deadlock detector needs to cancel a victim's waiting statement.

export interface InFlightPrepare {
  txnId: string;
  pid: number;
  /** 32-bit transaction id as text (pg_stat_activity.backend_xid). */
  xid: string;
  /** What the prepare is locking now, e.g. `cell:cell-3`. */
  resource: string | null;
  /** Monotonic ms when its current reservation statement began; null when none is running. */
  lockingSinceMs: number | null;
  /** Chosen as a deadlock victim: the prepare votes no (`deadlock_victim`). */
  victim: boolean;
}

export class InFlightPrepares {
  private readonly byTxn = new Map<string, InFlightPrepare>();
  private readonly byBackend = new Map<string, InFlightPrepare>();
  private readonly movedOnListeners: Array<(txnId: string, resource: string) => void> = [];

  /** `listener` hears each time a prepare stops locking a resource: it moved on, has all its locks, or ended. */
  onMovedOn(listener: (txnId: string, resource: string) => void): void {
    this.movedOnListeners.push(listener);
  }

  private movedOn(entry: InFlightPrepare): void {
    const resource = entry.resource;
    if (resource !== null) for (const listener of this.movedOnListeners) listener(entry.txnId, resource);
  }

  get size(): number {
    return this.byTxn.size;
  }

  register(txnId: string, pid: number, xid: string): void {
    const entry: InFlightPrepare = { txnId, pid, xid, resource: null, lockingSinceMs: null, victim: false };
    this.byTxn.set(txnId, entry);
    this.byBackend.set(`${pid}/${xid}`, entry);
  }

  /** The prepare starts the statement that locks `resource` (at monotonic `nowMs`). */
  locking(txnId: string, resource: string, nowMs: number): void {
    const entry = this.byTxn.get(txnId);
    if (!entry) return;
    this.movedOn(entry);
    entry.resource = resource;
    entry.lockingSinceMs = nowMs;
  }

  /** The prepare has finished its reservations (it waits for no row lock any more). */
  reserved(txnId: string): void {
    const entry = this.byTxn.get(txnId);
    if (!entry) return;
    this.movedOn(entry);
    entry.lockingSinceMs = null;
  }

  /** When the longest-running reservation statement began (monotonic ms); undefined when none is running. */
  oldestLockingSinceMs(): number | undefined {
    let oldest: number | undefined;
    for (const entry of this.byTxn.values()) {
      if (entry.lockingSinceMs !== null && (oldest === undefined || entry.lockingSinceMs < oldest))
        oldest = entry.lockingSinceMs;
    }
    return oldest;
  }

  done(txnId: string): void {
    const entry = this.byTxn.get(txnId);
    if (!entry) return;
    this.movedOn(entry);
    this.byTxn.delete(txnId);
    this.byBackend.delete(`${entry.pid}/${entry.xid}`);
  }

  get(txnId: string): InFlightPrepare | undefined {
    return this.byTxn.get(txnId);
  }

  /** The prepare running as backend `pid` in transaction `xid`, if it is still that one. */
  byBackendXid(pid: number, xid: string | null): InFlightPrepare | undefined {
    return xid === null ? undefined : this.byBackend.get(`${pid}/${xid}`);
  }

  isVictim(txnId: string): boolean {
    return this.byTxn.get(txnId)?.victim === true;
  }
}
