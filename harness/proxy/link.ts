// One direction of one connection: bytes read from `source`, through the active toxics in order, written to `dest`.
//
// With no active toxic the link writes each chunk straight to `dest` (no allocation, no timer): the fast path that
// keeps an idle proxy close to a direct connection. Toxics added, updated or removed apply to the open link at once.
import type { Socket } from 'node:net';
import type { Chunk, EndKind, Sink, Stage, StageHost } from './stage.ts';
import { createStage } from './stages.ts';
import type { ToxicSpec } from './toxic-spec.ts';

/** What a link needs from its connection. */
export interface LinkOwner {
  /** A toxic cut the connection: close both sides once `dest` has flushed what it was given. */
  closeAfterFlush(dest: Socket): void;
  /** Reset both sides (TCP RST). */
  reset(): void;
  random(): number;
}

interface Slot {
  spec: ToxicSpec;
  /** Null when the toxicity roll left this toxic out of this link. */
  stage: Stage | null;
}

// Flow control across the chain: past this many held bytes the source is paused (TCP backpressure reaches the
// sender), and it resumes once the held bytes fall below the low mark.
const heldHighBytes = 1 << 20;
const heldLowBytes = 1 << 18;

export class Link implements StageHost {
  private slots: Slot[] = [];
  /** First active stage, or null for the fast path. */
  private head: Stage | null = null;
  private held = 0;
  private destBlocked = false;
  private ended = false;
  private readonly sink: Sink;

  constructor(
    private readonly source: Socket,
    private readonly dest: Socket,
    private readonly owner: LinkOwner,
    specs: readonly ToxicSpec[],
  ) {
    this.sink = { push: (chunk) => this.write(chunk), end: (kind) => this.finish(kind) };
    for (const spec of specs) this.slots.push({ spec, stage: null });
    for (const slot of this.slots) slot.stage = this.roll(slot.spec);
    this.rewire();
    source.on('data', this.onData);
    source.on('end', this.onEnd);
    dest.on('drain', this.onDrain);
  }

  // --- StageHost ---
  dropped(bytes: number): void {
    this.release(bytes);
  }
  reset(): void {
    this.owner.reset();
  }
  random(): number {
    return this.owner.random();
  }

  // --- toxics changing under an open link ---
  add(spec: ToxicSpec): void {
    this.slots.push({ spec, stage: this.roll(spec) });
    this.rewire();
  }

  update(spec: ToxicSpec): void {
    const slot = this.slots.find((s) => s.spec.name === spec.name);
    if (!slot) return;
    slot.spec = spec;
    // The toxicity is rolled again on an update, as Toxiproxy does when it restarts the toxic.
    const applies = this.owner.random() < spec.toxicity;
    if (applies && slot.stage) slot.stage.update(spec.attributes);
    else if (applies) slot.stage = createStage(spec.type, this, spec.attributes, this.sink);
    else if (slot.stage) {
      slot.stage.drain();
      slot.stage = null;
    }
    this.rewire();
  }

  remove(name: string): void {
    const index = this.slots.findIndex((s) => s.spec.name === name);
    const slot = this.slots[index];
    if (!slot) return;
    // Drain before rewiring: the held data goes to this stage's successor, ahead of anything that follows it.
    slot.stage?.drain();
    this.slots.splice(index, 1);
    this.rewire();
  }

  dispose(): void {
    for (const slot of this.slots) slot.stage?.dispose();
    this.slots = [];
    this.head = null;
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
    this.dest.off('drain', this.onDrain);
  }

  private roll(spec: ToxicSpec): Stage | null {
    if (!(this.owner.random() < spec.toxicity)) return null;
    return createStage(spec.type, this, spec.attributes, this.sink);
  }

  private rewire(): void {
    let next: Sink = this.sink;
    let head: Stage | null = null;
    for (let i = this.slots.length - 1; i >= 0; i--) {
      const stage = this.slots[i]?.stage;
      if (!stage) continue;
      stage.next = next;
      next = stage;
      head = stage;
    }
    this.head = head;
  }

  // --- the data path ---
  private readonly onData = (data: Buffer): void => {
    if (this.ended) return;
    const head = this.head;
    if (head === null) {
      if (!this.dest.write(data)) this.block();
      return;
    }
    this.held += data.length;
    if (this.held > heldHighBytes) this.source.pause();
    head.push({ data, at: performance.now() });
  };

  private readonly onEnd = (): void => {
    if (this.head === null) this.finish('eof');
    else this.head.end('eof');
  };

  private readonly onDrain = (): void => {
    this.destBlocked = false;
    if (this.held < heldLowBytes) this.source.resume();
  };

  private block(): void {
    this.destBlocked = true;
    this.source.pause();
  }

  private release(bytes: number): void {
    this.held -= bytes;
    if (this.held < heldLowBytes && !this.destBlocked && this.source.isPaused()) this.source.resume();
  }

  private write(chunk: Chunk): void {
    if (this.ended) return;
    const ok = this.dest.write(chunk.data);
    this.release(chunk.data.length);
    if (!ok) this.block();
  }

  private finish(kind: EndKind): void {
    if (this.ended) return;
    this.ended = true;
    if (kind === 'eof') this.dest.end();
    else this.owner.closeAfterFlush(this.dest);
  }
}
