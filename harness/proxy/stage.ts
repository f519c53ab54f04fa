// The moving parts of a link: a chain of stages, one per active toxic, each handing chunks to the next in order.
// Data never overtakes data: every stage emits in arrival order, and end-of-stream travels behind the data.
import type { Attributes } from './toxic-spec.ts';

/** A piece of the byte stream with the time (performance.now(), ms) it entered, or last left, a delaying stage. */
export interface Chunk {
  data: Buffer;
  at: number;
}

/**
 * How a direction of a link ends: `eof` when its source half-closed (passed on as a half-close), `close` when a toxic
 * cut the connection (timeout, limit_data): the whole connection closes once the data ahead of it is written.
 */
export type EndKind = 'eof' | 'close';

export interface Sink {
  push(chunk: Chunk): void;
  end(kind: EndKind): void;
}

/** What a stage may ask of the link that owns it. */
export interface StageHost {
  /** Bytes a stage threw away, so the link's flow control stops counting them as held. */
  dropped(bytes: number): void;
  /** Resets both sides of the connection (TCP RST). */
  reset(): void;
  /** A uniform number in [0, 1) from the proxy's seeded source. */
  random(): number;
}

export abstract class Stage implements Sink {
  /** Where this stage emits; rewired by the link as stages come and go. */
  next: Sink;
  protected attrs: Attributes;

  constructor(
    protected readonly host: StageHost,
    attributes: Attributes,
    next: Sink,
  ) {
    this.attrs = attributes;
    this.next = next;
  }

  abstract push(chunk: Chunk): void;
  abstract end(kind: EndKind): void;

  /** New attributes for the data still to come (data already held is re-timed where that applies). */
  update(attributes: Attributes): void {
    this.attrs = attributes;
  }

  /** The toxic was removed: hand on at once everything still held, as Toxiproxy does on interrupt. */
  abstract drain(): void;

  /** The connection is gone: cancel timers, hold nothing. */
  abstract dispose(): void;

  protected attr(name: string): number {
    return this.attrs[name] ?? 0;
  }
}

type Item = Chunk | EndKind;

/**
 * A stage that emits its items one at a time, each no earlier than the time `dueAt` gives it. One timer at most, for
 * the item at the head of the queue, so a held stream costs one timer whatever its length.
 */
export abstract class SerialStage extends Stage {
  // A queue with a moving head: shift() on a long array (a slicer's many pieces) would be quadratic.
  private queue: Item[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** The head item's leave time, fixed when it reaches the head (so a jitter is rolled once) until an update. */
  private headDue: number | undefined;
  private ended = false;

  /** When (performance.now() ms) the head item may leave; Infinity holds it until the attributes change. */
  protected abstract dueAt(item: Item, now: number): number;

  /** Splits or stamps an arriving chunk; by default it is queued as it is. */
  protected accept(chunk: Chunk): Chunk[] {
    return [chunk];
  }

  /** Called as an item leaves, with the time it left. */
  protected emitted(_item: Item, _now: number): void {}

  push(chunk: Chunk): void {
    if (this.ended) {
      this.host.dropped(chunk.data.length);
      return;
    }
    for (const piece of this.accept(chunk)) this.queue.push(piece);
    if (this.timer === undefined) this.pump();
  }

  end(kind: EndKind): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.push(kind);
    if (this.timer === undefined) this.pump();
  }

  override update(attributes: Attributes): void {
    super.update(attributes);
    this.cancel();
    this.pump();
  }

  drain(): void {
    this.cancel();
    const items = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const item of items) this.forward(item);
  }

  dispose(): void {
    this.cancel();
    this.queue = [];
    this.head = 0;
  }

  private forward(item: Item): void {
    if (typeof item === 'string') this.next.end(item);
    else this.next.push(item);
  }

  private cancel(): void {
    this.headDue = undefined;
    if (this.timer === undefined) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  private take(): void {
    this.head++;
    this.headDue = undefined;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private readonly pump = (): void => {
    this.timer = undefined;
    for (;;) {
      const item = this.queue[this.head];
      if (item === undefined) return;
      const now = performance.now();
      this.headDue ??= this.dueAt(item, now);
      const waitMs = this.headDue - now;
      if (waitMs === Number.POSITIVE_INFINITY) return;
      if (waitMs > 0) {
        // Timers have millisecond resolution; a shorter wait still yields to the event loop so pieces stay apart.
        this.timer = waitMs >= 1 ? setTimeout(this.pump, waitMs) : setImmediate(this.pump);
        return;
      }
      this.take();
      this.emitted(item, now);
      this.forward(item);
    }
  };
}
