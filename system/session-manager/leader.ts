// Leader election through a Redis lease with a fencing token (spec section 3, DESIGN section 2).
// Acquire: SET NX PX + INCR epoch in one script; the epoch is the token every leader action carries.
// A follower tries every ttl/3, and again as the holder's lease lapses (the acquire tells it how long that lease has
// left), so a lost leader is replaced at its lease's expiry, not up to a third of a TTL later.
// Renew: compare-and-pexpire every ttl/3. Step down at once when a renewal fails, or when the local monotonic
// clock says the lease may have lapsed (measured from the start of the last successful renewal, less a margin
// for clock drift), so a paused or partitioned leader stops acting before anyone else can take over.
import type { Clock, TimerHandle } from '../common/clock.ts';
import type { Logger } from '../common/log.ts';

/**
 * What an acquire got: the new epoch (> 0) and our lease value; or epoch 0, the current holder's value and, when the
 * lease has an expiry, the ms it has left (acquire-2.lua's PTTL).
 */
export interface Acquired {
  epoch: number;
  holder: string;
  remainingMs?: number;
}

/** An acquire script's answer as an `Acquired` (a PTTL below 0 is no expiry, or no key: not a time left). */
export function acquired(epoch: number, holder: string, pttl?: number): Acquired {
  const left = pttl === undefined ? -1 : Number(pttl);
  return epoch === 0 && left >= 0 ? { epoch, holder, remainingMs: left } : { epoch, holder };
}

/** The lease store, narrow so a simulation can provide its own. */
export interface LeaseStore {
  acquire(node: string, ttlMs: number): Promise<Acquired>;
  renew(value: string, ttlMs: number): Promise<boolean>;
  release(value: string): Promise<boolean>;
}

export interface LeaderOptions {
  node: string;
  leaseTtlMs: number;
  /** Fraction of the TTL we stop trusting early, for clock drift between us and Redis. */
  driftMargin: number;
  /** True only for the planted bug stale-leader: never step down for a failed renewal or a lapsed lease. */
  keepLeading?: boolean;
}

/** The leader as a node last saw it: the lease holder and the epoch it holds it at. */
export interface LeaderHint {
  node: string;
  epoch: number;
}

export type Role = { kind: 'follower'; leaderHint?: LeaderHint } | { kind: 'leader'; epoch: number; value: string };

export interface LeadershipListener {
  /** Called once we hold the lease; leadership is usable only after this resolves (fences raised, recovery run). */
  onElected(epoch: number): Promise<void>;
  onDemoted(epoch: number, reason: string): void;
}

export class LeaderElector {
  private role: Role = { kind: 'follower' };
  private validUntilMs = 0;
  private ready = false;
  private timer: TimerHandle | undefined;
  /** The follower's extra attempt at the holder's lease expiry. */
  private atExpiry: TimerHandle | undefined;
  private ticking = false;
  private stopped = false;

  constructor(
    private readonly store: LeaseStore,
    private readonly opts: LeaderOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly listener: LeadershipListener,
  ) {}

  private get period(): number {
    return Math.max(10, Math.floor(this.opts.leaseTtlMs / 3));
  }

  start(): void {
    this.timer = this.clock.setInterval(() => void this.tick(), this.period);
    void this.tick();
  }

  /** The epoch to act with, or undefined unless we lead, are ready, and our lease cannot have lapsed. */
  currentEpoch(): number | undefined {
    if (this.role.kind !== 'leader' || !this.ready || this.leaseLapsed()) return undefined;
    return this.role.epoch;
  }

  /** Steps down when the lease may have lapsed by the local monotonic clock; true then. */
  private leaseLapsed(): boolean {
    return (
      this.role.kind === 'leader' &&
      this.clock.monotonicMs() >= this.validUntilMs &&
      this.loseLeadership('lease may have lapsed by the local monotonic clock')
    );
  }

  /** The leader as last seen, with its epoch (ourselves when leading). */
  leaderHint(): LeaderHint | undefined {
    if (this.role.kind === 'leader') return { node: this.opts.node, epoch: this.role.epoch };
    return this.role.leaderHint;
  }

  /** For /healthz: never "leader" past the lease by the local clock, even while a renewal has not answered. */
  get status(): { role: 'leader' | 'follower'; epoch?: number; ready: boolean; leader?: string } {
    this.leaseLapsed();
    return this.role.kind === 'leader'
      ? { role: 'leader', epoch: this.role.epoch, ready: this.ready, leader: this.opts.node }
      : { role: 'follower', ready: false, ...(this.role.leaderHint ? { leader: this.role.leaderHint.node } : {}) };
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      if (this.role.kind === 'leader') await this.renew(this.role);
      else await this.tryAcquire();
    } finally {
      this.ticking = false;
    }
  }

  private async tryAcquire(): Promise<void> {
    const started = this.clock.monotonicMs();
    let result: Acquired;
    try {
      result = await this.store.acquire(this.opts.node, this.opts.leaseTtlMs);
    } catch {
      return; // Redis unreachable: stay a follower
    }
    if (result.epoch === 0) {
      const [holder = '', epoch] = result.holder.split('|');
      this.role = { kind: 'follower', leaderHint: { node: holder, epoch: Number(epoch) } };
      const left = result.remainingMs;
      if (left !== undefined && left < this.period && !this.stopped) {
        this.clock.clearTimeout(this.atExpiry);
        // 1 ms past the expiry Redis gave: the lease is gone by then (Redis expires a key once its time has passed).
        this.atExpiry = this.clock.setTimeout(() => void this.tick(), left + 1);
      }
      return;
    }
    this.role = { kind: 'leader', epoch: result.epoch, value: result.holder };
    this.ready = false;
    this.validUntilMs = started + this.opts.leaseTtlMs * (1 - this.opts.driftMargin);
    this.logger.observe('leadership', { event: 'acquire', epoch: result.epoch, ttlMs: this.opts.leaseTtlMs });
    // Take over outside the tick, so renewals go on while recovery runs.
    void this.takeOver(result.epoch);
  }

  private async takeOver(epoch: number): Promise<void> {
    try {
      await this.listener.onElected(epoch);
      if (this.role.kind === 'leader' && this.role.epoch === epoch) {
        this.ready = true;
        this.logger.observe('leadership', { event: 'ready', epoch });
      }
    } catch (err) {
      if (this.role.kind === 'leader' && this.role.epoch === epoch) {
        const { value } = this.role;
        this.stepDown(`could not take over: ${(err as Error).message}`);
        void this.store.release(value).catch(() => false);
      }
    }
  }

  private async renew(role: { epoch: number; value: string }): Promise<void> {
    const started = this.clock.monotonicMs();
    let ok = false;
    let why = 'the lease is held by another node or expired';
    try {
      ok = await this.store.renew(role.value, this.opts.leaseTtlMs);
    } catch (err) {
      why = `renewal failed: ${(err as Error).message}`;
    }
    if (this.role.kind !== 'leader' || this.role.epoch !== role.epoch) return;
    if (!ok) {
      this.logger.observe('leadership', { event: 'renew-failed', epoch: role.epoch, reason: why });
      // Having stepped down, give the lease up if it is still ours (a reply lost, a connection reset): a follower
      // then takes over at its next try, not when the lease runs out.
      if (this.loseLeadership(why)) void this.store.release(role.value).catch(() => false);
      return;
    }
    this.validUntilMs = started + this.opts.leaseTtlMs * (1 - this.opts.driftMargin);
  }

  /** Steps down because the lease is (or may be) lost; returns false only under the planted bug stale-leader. */
  private loseLeadership(reason: string): boolean {
    if (this.opts.keepLeading) return false;
    this.stepDown(reason);
    return true;
  }

  private stepDown(reason: string): void {
    if (this.role.kind !== 'leader') return;
    const epoch = this.role.epoch;
    this.role = { kind: 'follower' };
    this.ready = false;
    this.logger.observe('leadership', { event: 'step-down', epoch, reason });
    this.listener.onDemoted(epoch, reason);
  }

  /** Stops campaigning and gives the lease up if we hold it. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearInterval(this.timer);
    this.clock.clearTimeout(this.atExpiry);
    if (this.role.kind === 'leader') {
      const { value, epoch } = this.role;
      this.stepDown('shutting down');
      await this.store.release(value).catch(() => false);
      this.logger.observe('leadership', { event: 'release', epoch });
    }
  }
}
