// Group commit: calls that arrive while a batch is being written wait, and go together in the next one, so
// concurrent transactions share one statement, one round trip and one WAL flush instead of paying each. A lone
// call waits only for the callbacks and promise reactions already running to finish. Every call gets its own
// result or error.
import type { Clock } from './clock.ts';

export interface BatcherOptions<I> {
  /** Items per batch at most. */
  maxBatch: number;
  /** Batches being written at once at most; more calls wait for one to end. */
  maxInFlight: number;
  /** Items with equal keys never share a batch, nor are written at once: the later one waits for a batch after
   * the earlier one's has ended (its write may depend on the earlier one's, as two decisions for one transaction
   * do). */
  key?: (item: I) => string;
  /** A batch is written this many ms after its first call at the earliest (fewer statements for work no caller
   * waits on; 0: at the end of the current run of callbacks). */
  lingerMs?: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
}

export class Batcher<I, O> {
  private queue: Array<Waiting<I, O>> = [];
  private inFlight = 0;
  private readonly keysInFlight = new Set<string>();
  private scheduled = false;

  /** `write` returns one result per item, in the items' order; if it throws, every item in the batch fails. */
  constructor(
    private readonly write: (items: I[]) => Promise<O[]>,
    private readonly opts: BatcherOptions<I>,
    private readonly clock: Clock,
  ) {
    if (!(opts.maxBatch >= 1 && opts.maxInFlight >= 1))
      throw new Error('Batcher: maxBatch and maxInFlight must be >= 1');
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Calls waiting for a batch (not counting those being written). */
  get waiting(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.opts.maxInFlight) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.flush();
    };
    // Calls made before the current run of callbacks and promise reactions ends join the batch; waiting for a
    // later turn of the event loop instead (setImmediate) cost a lone call about 0.2 ms here.
    if (this.opts.lingerMs) this.clock.setTimeout(run, this.opts.lingerMs);
    else process.nextTick(run);
  }

  private flush(): void {
    while (this.inFlight < this.opts.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      // Every waiting call's key is in a batch being written: they go once it ends.
      if (batch.length === 0) return;
      const keys = this.opts.key ? batch.map((w) => this.opts.key!(w.item)) : [];
      for (const k of keys) this.keysInFlight.add(k);
      this.inFlight++;
      let outs: Promise<O[]>;
      try {
        outs = this.write(batch.map((w) => w.item));
      } catch (err) {
        outs = Promise.reject(err);
      }
      outs
        .then((results) => {
          if (results.length !== batch.length)
            throw new Error(`Batcher: the write returned ${results.length} results for ${batch.length} items`);
          for (const [i, w] of batch.entries()) w.resolve(results[i]!);
        })
        .catch((err: unknown) => {
          for (const w of batch) w.reject(err);
        })
        .finally(() => {
          this.inFlight--;
          for (const k of keys) this.keysInFlight.delete(k);
          if (this.queue.length > 0) this.schedule();
        });
    }
  }

  /**
   * Up to maxBatch waiting calls, oldest first, no two with one key and none with the key of a batch being
   * written (so calls with one key are written in the order they were made); the rest keep their place.
   */
  private take(): Array<Waiting<I, O>> {
    const { key, maxBatch } = this.opts;
    if (!key) return this.queue.splice(0, maxBatch);
    const keys = new Set<string>(this.keysInFlight);
    const batch: Array<Waiting<I, O>> = [];
    const rest: Array<Waiting<I, O>> = [];
    for (const w of this.queue) {
      const k = key(w.item);
      if (batch.length < maxBatch && !keys.has(k)) {
        keys.add(k);
        batch.push(w);
      } else rest.push(w);
    }
    this.queue = rest;
    return batch;
  }
}
