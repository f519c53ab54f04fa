// The traffic-aware scheduler in front of the coordinator (spec section 8): a bounded priority queue, voice before
// video before data, FIFO within a class, with aging so that data still progresses under sustained voice load, and
// admission control that sheds data before voice. A fixed number of workers (transactions running at once) pull
// from it. The queue is pure (time is passed in), so its policy is unit-tested with a fake clock.
// Aging is bounded: a request that has waited `agingMs`, and longer than the oldest waiting request of the highest
// class, is promoted and may run ahead of that class, but promoted requests get at most one turn in
// `promotedTurnEvery` while it waits. Unbounded aging (priority growing with waiting time) would, under sustained
// overload, turn the queue back into FIFO and take voice's advantage away; this keeps voice first and still
// guarantees data a share.
import type { Clock, TimerHandle } from '../common/clock.ts';
import { type TrafficClass, trafficClasses } from '../common/contract.ts';
import { ServiceError } from '../common/errors.ts';

// Re-exported for bench/micro.ts, which drives the queue directly.

const rank: Record<TrafficClass, number> = { voice: 2, video: 1, data: 0 };

export interface SchedulerConfig {
  /** Transactions run at once. */
  workers: number;
  /** Requests waiting, all classes together. */
  queueMax: number;
  /** A request waiting this long is promoted (aging): it may take a turn ahead of higher classes. */
  agingMs: number;
  /** Promoted requests get at most one turn in this many while higher classes wait. */
  promotedTurnEvery: number;
  /** A request still waiting after this long is shed: its caller has given up or retried by now. */
  queueWaitMaxMs: number;
}

export type ShedReason = 'full' | 'evicted' | 'expired';

interface Entry<T> {
  item: T;
  cls: TrafficClass;
  enqueuedMs: number;
  /** The queue's event counter when it was offered: with `tick()`, orders every offer, take and shed exactly. */
  seq: number;
}

export type Offer<T> = { admitted: true; evicted?: Entry<T> } | { admitted: false };

/** The queue and its choices, without timers or I/O. */
export class PriorityQueue<T> {
  private readonly lanes: Record<TrafficClass, Entry<T>[]> = { voice: [], video: [], data: [] };
  private size = 0;
  /** Turns taken by the highest waiting class since a promoted request last had one. */
  private sincePromoted = 0;
  private ticks = 0;

  constructor(
    private readonly queueMax: number,
    private readonly agingMs: number,
    private readonly promotedTurnEvery: number,
  ) {}

  depth(cls: TrafficClass): number {
    return this.lanes[cls].length;
  }

  get length(): number {
    return this.size;
  }

  /** The next value of the event counter, for a take or a shed (the scheduler's evidence orders them by it). */
  tick(): number {
    return ++this.ticks;
  }

  /**
   * Admits `item` if there is room. When full, a lower class makes room: its newest entry is evicted (it has waited
   * least); with nothing lower to evict, `item` is refused. So data is shed before video, video before voice.
   */
  offer(item: T, cls: TrafficClass, nowMs: number): Offer<T> {
    const entry = { item, cls, enqueuedMs: nowMs, seq: 0 };
    if (this.size < this.queueMax) {
      this.push(entry);
      return { admitted: true };
    }
    const lower = [...trafficClasses].reverse().find((c) => rank[c] < rank[cls] && this.lanes[c].length > 0);
    if (!lower) return { admitted: false };
    const evicted = this.lanes[lower].pop()!;
    this.size--;
    this.push(entry);
    return { admitted: true, evicted };
  }

  /**
   * The next entry to run: the head of the highest class waiting, except that every `promotedTurnEvery`-th turn
   * goes to the longest-waiting head of a lower class once it has waited `agingMs` and longer than that head
   * (promoted). So a lower class never overtakes an older higher-class request, and still always progresses.
   */
  take(nowMs: number): Entry<T> | undefined {
    const top = trafficClasses.find((c) => this.lanes[c].length > 0);
    if (!top) return undefined;
    const topSince = this.lanes[top][0]!.enqueuedMs;
    let promoted: TrafficClass | undefined;
    for (const cls of trafficClasses) {
      const head = this.lanes[cls][0];
      // Promoted: waited agingMs, and longer than the higher class's head, which it never overtakes.
      if (cls === top || !head || nowMs - head.enqueuedMs < this.agingMs || head.enqueuedMs > topSince) continue;
      if (!promoted || head.enqueuedMs < this.lanes[promoted][0]!.enqueuedMs) promoted = cls;
    }
    let cls = top;
    if (promoted && this.sincePromoted + 1 >= this.promotedTurnEvery) {
      cls = promoted;
      this.sincePromoted = 0;
    } else if (promoted) this.sincePromoted++;
    this.size--;
    return this.lanes[cls].shift();
  }

  /** Removes and returns the entries that have waited `waitMaxMs` or longer. */
  expire(nowMs: number, waitMaxMs: number): Entry<T>[] {
    const out: Entry<T>[] = [];
    for (const cls of trafficClasses) {
      const lane = this.lanes[cls];
      // FIFO: the oldest are at the head.
      while (lane[0] && nowMs - lane[0].enqueuedMs >= waitMaxMs) out.push(lane.shift()!);
    }
    this.size -= out.length;
    return out;
  }

  private push(entry: Entry<T>): void {
    entry.seq = this.tick();
    this.lanes[entry.cls].push(entry);
    this.size++;
  }
}

/**
 * What became of one request offered to the queue, for the run's evidence: started, or shed and why. `enqueueSeq`
 * and `seq` come from one counter (a refusal has both equal), `enqueuedMs` and `atMs` from the scheduler's clock.
 */
export interface Settled {
  id: string | undefined;
  cls: TrafficClass;
  outcome: 'started' | ShedReason;
  enqueueSeq: number;
  seq: number;
  enqueuedMs: number;
  atMs: number;
}

/** What the scheduler reports (metrics): queue delay when a request starts, depth on change, and shedding. */
export interface SchedulerObserver {
  started(cls: TrafficClass, queueMs: number): void;
  depth(cls: TrafficClass, depth: number): void;
  shed(cls: TrafficClass, reason: ShedReason): void;
  /** Every request's fate, once (the evidence log); optional: the metrics need none of it. */
  settled?(s: Settled): void;
  /** The scheduler started with this configuration (the evidence log: it counts and dates starts). */
  begun?(config: SchedulerConfig): void;
}

interface Task {
  /** The caller's request id, for the evidence. */
  id: string | undefined;
  /** Starts the work; settles when it has (the caller's promise is settled by then). */
  run: () => Promise<void>;
  shed: (err: ServiceError) => void;
}

export function overloaded(cls: TrafficClass, reason: ShedReason, retryAfterMs: number): ServiceError {
  const why = {
    full: 'the scheduler queue is full',
    evicted: 'a higher-priority request took this one’s place in the full queue',
    expired: 'the request waited in the queue past its limit',
  }[reason];
  return new ServiceError('overloaded', `${why} (${cls})`, { trafficClass: cls, shed: reason, retryAfterMs });
}

/** Runs submitted work on `workers` slots in the queue's order. */
export class Scheduler {
  private readonly queue: PriorityQueue<Task>;
  private running = 0;
  private sweeper: TimerHandle | undefined;

  constructor(
    private readonly config: SchedulerConfig,
    private readonly clock: Clock,
    private readonly observer: SchedulerObserver,
  ) {
    this.queue = new PriorityQueue(config.queueMax, config.agingMs, config.promotedTurnEvery);
  }

  /** Sheds expired entries now and then even while every worker is busy. */
  start(): void {
    this.observer.begun?.(this.config);
    const periodMs = Math.max(10, Math.floor(this.config.queueWaitMaxMs / 4));
    this.sweeper = this.clock.setInterval(() => this.sweep(), periodMs, { unref: true });
  }

  stop(): void {
    this.clock.clearInterval(this.sweeper);
  }

  get busy(): number {
    return this.running;
  }

  /** Runs `work` when its turn comes; rejects with 503 overloaded if it is shed instead. `id` names it in evidence. */
  submit<T>(cls: TrafficClass, work: () => Promise<T>, id?: string): Promise<{ value: T; queueMs: number }> {
    return new Promise((resolve, reject) => {
      const enqueuedMs = this.clock.monotonicMs();
      const task: Task = {
        id,
        run: () => {
          const queueMs = this.clock.monotonicMs() - enqueuedMs;
          this.observer.started(cls, queueMs);
          return Promise.resolve()
            .then(work)
            .then((value) => resolve({ value, queueMs }), reject);
        },
        shed: reject,
      };
      const offer = this.queue.offer(task, cls, enqueuedMs);
      if (!offer.admitted) {
        this.observer.shed(cls, 'full');
        const seq = this.queue.tick();
        this.observer.settled?.({ id, cls, outcome: 'full', enqueueSeq: seq, seq, enqueuedMs, atMs: enqueuedMs });
        reject(overloaded(cls, 'full', this.retryAfterMs()));
        return;
      }
      if (offer.evicted) this.shedEntry(offer.evicted, 'evicted', enqueuedMs);
      this.reportDepths();
      this.pump();
    });
  }

  /** Sheds every entry that waited past the limit. */
  sweep(): void {
    const nowMs = this.clock.monotonicMs();
    const expired = this.queue.expire(nowMs, this.config.queueWaitMaxMs);
    for (const e of expired) this.shedEntry(e, 'expired', nowMs);
    if (expired.length > 0) this.reportDepths();
  }

  private pump(): void {
    this.sweep();
    while (this.running < this.config.workers) {
      const nowMs = this.clock.monotonicMs();
      const next = this.queue.take(nowMs);
      if (!next) break;
      this.settled(next, 'started', nowMs);
      this.running++;
      this.reportDepths();
      void next.item.run().finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private shedEntry(e: Entry<Task>, reason: ShedReason, nowMs: number): void {
    this.settled(e, reason, nowMs);
    this.observer.shed(e.cls, reason);
    e.item.shed(overloaded(e.cls, reason, this.retryAfterMs()));
  }

  private settled(e: Entry<Task>, outcome: Settled['outcome'], atMs: number): void {
    const { cls, enqueuedMs, seq: enqueueSeq } = e;
    this.observer.settled?.({ id: e.item.id, cls, outcome, enqueueSeq, seq: this.queue.tick(), enqueuedMs, atMs });
  }

  private retryAfterMs(): number {
    // A hint, not a promise: how long the queue ahead takes to drain is not known in advance.
    return Math.max(100, Math.round(this.config.queueWaitMaxMs / 10));
  }

  private reportDepths(): void {
    for (const cls of trafficClasses) this.observer.depth(cls, this.queue.depth(cls));
  }
}
