// One class per toxic type: what it does to the bytes of one direction of one connection (Toxiproxy's semantics).
import { type Chunk, type EndKind, SerialStage, type Sink, Stage, type StageHost } from './stage.ts';
import type { Attributes, ToxicType } from './toxic-spec.ts';

/** Holds each chunk until `latency` ± `jitter` ms after it arrived; chunks never overtake each other. */
class LatencyStage extends SerialStage {
  protected dueAt(item: Chunk | EndKind, _now: number): number {
    if (typeof item === 'string') return 0;
    const jitter = this.attr('jitter');
    // Uniform in [-jitter, jitter), as Toxiproxy rolls it.
    const offset = jitter > 0 ? Math.floor(this.host.random() * 2 * jitter) - jitter : 0;
    return item.at + this.attr('latency') + offset;
  }

  protected override emitted(item: Chunk | EndKind, now: number): void {
    // A second latency toxic measures from here, so several latency toxics add up.
    if (typeof item !== 'string') item.at = now;
  }
}

/** Passes `rate` KB/s (1 KB = 1000 bytes, as Toxiproxy counts), in slices of at most 100 ms worth; rate 0 holds all. */
class BandwidthStage extends SerialStage {
  private static readonly sliceMs = 100;

  protected override accept(chunk: Chunk): Chunk[] {
    const sliceBytes = this.attr('rate') * BandwidthStage.sliceMs;
    if (sliceBytes <= 0 || chunk.data.length <= sliceBytes) return [chunk];
    const pieces: Chunk[] = [];
    for (let i = 0; i < chunk.data.length; i += sliceBytes) {
      pieces.push({ data: chunk.data.subarray(i, i + sliceBytes), at: chunk.at });
    }
    return pieces;
  }

  protected dueAt(item: Chunk | EndKind, now: number): number {
    if (typeof item === 'string') return 0;
    const rate = this.attr('rate');
    return rate > 0 ? now + item.data.length / rate : Number.POSITIVE_INFINITY;
  }
}

/** Passes data at once but holds the end of the stream for `delay` ms. */
class SlowCloseStage extends SerialStage {
  protected dueAt(item: Chunk | EndKind, now: number): number {
    return typeof item === 'string' ? now + this.attr('delay') : 0;
  }
}

/** Cuts each chunk into pieces of about `average_size` ± `size_variation` bytes, `delay` µs apart. */
class SlicerStage extends SerialStage {
  private lastEmitAt = Number.NEGATIVE_INFINITY;

  protected override accept(chunk: Chunk): Chunk[] {
    const bounds: number[] = [];
    this.cut(0, chunk.data.length, bounds);
    const pieces: Chunk[] = [];
    let start = 0;
    for (const end of bounds) {
      pieces.push({ data: chunk.data.subarray(start, end), at: chunk.at });
      start = end;
    }
    return pieces;
  }

  // Halves around the middle, moved by up to ±size_variation, until a piece is within average_size+size_variation:
  // pieces vary evenly, with no tendency to be small at either end. Validation keeps size_variation < average_size,
  // so the cut point always falls strictly inside the range.
  private cut(start: number, end: number, bounds: number[]): void {
    const average = this.attr('average_size');
    const variation = this.attr('size_variation');
    if (end - start - average <= variation) {
      bounds.push(end);
      return;
    }
    const shift = variation > 0 ? Math.floor(this.host.random() * 2 * variation) - variation : 0;
    const mid = start + Math.floor((end - start) / 2) + shift;
    this.cut(start, mid, bounds);
    this.cut(mid, end, bounds);
  }

  protected dueAt(item: Chunk | EndKind, _now: number): number {
    return typeof item === 'string' ? 0 : this.lastEmitAt + this.attr('delay') / 1000;
  }

  protected override emitted(_item: Chunk | EndKind, now: number): void {
    this.lastEmitAt = now;
  }
}

/** Drops every byte; closes the connection `timeout` ms after it started (0: never). Removing it closes too. */
class TimeoutStage extends Stage {
  private timer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(host: StageHost, attributes: Attributes, next: Sink) {
    super(host, attributes, next);
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const timeoutMs = this.attr('timeout');
    if (timeoutMs > 0) this.timer = setTimeout(() => this.close('close'), timeoutMs);
  }

  private close(kind: EndKind): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.next.end(kind);
  }

  push(chunk: Chunk): void {
    this.host.dropped(chunk.data.length);
  }

  end(kind: EndKind): void {
    this.close(kind);
  }

  override update(attributes: Attributes): void {
    super.update(attributes);
    if (!this.done) this.arm();
  }

  // The stream lost bytes while this toxic held it, so it cannot simply resume: close it, as Toxiproxy does.
  drain(): void {
    this.close('close');
  }

  dispose(): void {
    this.done = true;
    clearTimeout(this.timer);
  }
}

/** On the first data (or end of stream) in its direction, waits `timeout` ms and resets the connection (TCP RST). */
class ResetPeerStage extends Stage {
  private timer: NodeJS.Timeout | undefined;
  private triggered = false;

  private trigger(): void {
    if (this.triggered) return;
    this.triggered = true;
    const timeoutMs = this.attr('timeout');
    if (timeoutMs > 0) this.timer = setTimeout(() => this.host.reset(), timeoutMs);
    else this.host.reset();
  }

  push(chunk: Chunk): void {
    this.host.dropped(chunk.data.length);
    this.trigger();
  }

  end(_kind: EndKind): void {
    this.trigger();
  }

  // Once triggered the reset is committed (the data it swallowed is gone); until then there is nothing to hand on.
  drain(): void {}

  dispose(): void {
    clearTimeout(this.timer);
  }
}

/** Passes the first `bytes` bytes of the direction, then closes the connection. The count survives updates. */
class LimitDataStage extends Stage {
  private sent = 0;
  private done = false;

  push(chunk: Chunk): void {
    if (this.done) {
      this.host.dropped(chunk.data.length);
      return;
    }
    const remaining = Math.max(0, this.attr('bytes') - this.sent);
    if (chunk.data.length > remaining) {
      this.host.dropped(chunk.data.length - remaining);
      chunk.data = chunk.data.subarray(0, remaining);
    }
    if (chunk.data.length > 0) {
      this.sent += chunk.data.length;
      this.next.push(chunk);
    }
    if (this.sent >= this.attr('bytes')) this.end('close');
  }

  end(kind: EndKind): void {
    if (this.done) return;
    this.done = true;
    this.next.end(kind);
  }

  drain(): void {}

  dispose(): void {
    this.done = true;
  }
}

type StageClass = new (host: StageHost, attributes: Attributes, next: Sink) => Stage;

const stageClasses: Record<ToxicType, StageClass> = {
  latency: LatencyStage,
  bandwidth: BandwidthStage,
  slow_close: SlowCloseStage,
  slicer: SlicerStage,
  timeout: TimeoutStage,
  reset_peer: ResetPeerStage,
  limit_data: LimitDataStage,
};

export function createStage(type: ToxicType, host: StageHost, attributes: Attributes, next: Sink): Stage {
  return new stageClasses[type](host, attributes, next);
}
