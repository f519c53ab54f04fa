// The simulation kernel (DESIGN section 9): one process, virtual time, a seeded scheduler. Everything that happens in
// a simulated run is an event on one queue, ordered by virtual time; events due at the same instant run in an order
// drawn from the seed, so a seed fixes the interleaving and replays it exactly. After each event the kernel lets
// every promise reaction it caused run to completion before the next event, so `await` chains in system code advance
// exactly as far as they can at that instant, and no further.
//
// Nodes (a service process, a store server) are alive or dead. Each event belongs to a node and to that node's
// generation: once a node is killed (or restarted), every timer it set, and every message on its way to or from it,
// is discarded when it comes due. The code of a dead node is not stopped: it is starved, since nothing it waits for
// can arrive any more.
//
// Every event run is hashed (its time, node and label) into the trace hash, so two runs that differ anywhere in what
// happened when differ in their hash.
import { createHash, type Hash } from 'node:crypto';
import { MessageChannel } from 'node:worker_threads';
import { Rng } from '../../lib/rng.ts';
import { type Clock, sleepOn, type TimerHandle } from '../../system/common/clock.ts';

/** The spacing of a resumed node's held events (ms): small enough to be "at once", large enough to keep order. */
const heldGapMs = 1e-6;

/** The longest a pause waits for its node's next send before it takes effect anyway (virtual ms). */
const pendingPauseMs = 50;

/** Trace lines hashed at once. */
const traceBatch = 4096;

/** Virtual time 0 as calendar time (wall clocks of simulated nodes start here, plus their skew). */
export const simEpochMs = Date.UTC(2026, 0, 1);

export class SimNode {
  alive = true;
  /** Bumped by every kill and restart: events of an older generation are discarded. */
  generation = 0;
  /** Stopped (SIGSTOP): its events wait in `held`, in the order they came due, until it is resumed. */
  paused = false;
  /**
   * A pause on its way (Kernel.pause with `atNextSend`): the node stops as it sends its next message, which leaves
   * only when it is resumed.
   */
  pauseAtSend = false;
  readonly held: SimEvent[] = [];
  constructor(readonly name: string) {}
}

interface SimEvent {
  at: number;
  tie: number;
  seq: number;
  node: SimNode | undefined;
  generation: number;
  label: string;
  fn: () => void;
  cancelled: boolean;
}

export interface RunLimits {
  /** Stop before the first event due after this virtual time (ms); time then stands at it. */
  untilMs?: number;
  /** Checked after every event: stop once it is true. */
  until?: () => boolean;
}

export class Kernel {
  private readonly queue = new EventQueue();
  private seq = 0;
  private now = 0;
  private readonly ties: Rng;
  private readonly nodes = new Map<string, SimNode>();
  private readonly trace: Hash = createHash('sha256');
  private readonly traceLines: string[] = [];
  private running = false;
  private readonly drain = threadDrain();
  /** Events run so far (discarded ones not counted). */
  eventsRun = 0;
  /** Events discarded because their node died or restarted. */
  eventsDiscarded = 0;
  /** A seeded stream for the simulation's own choices (network latency, drops), apart from the tie-breaks. */
  readonly rng: Rng;

  constructor(readonly seed: number) {
    const root = new Rng(seed);
    this.ties = root.fork('kernel-ties');
    this.rng = root.fork('kernel');
  }

  /** Virtual ms since the start. */
  nowMs(): number {
    return this.now;
  }

  /** The node called `name`, created alive on first use. */
  node(name: string): SimNode {
    let n = this.nodes.get(name);
    if (!n) {
      n = new SimNode(name);
      this.nodes.set(name, n);
    }
    return n;
  }

  /**
   * Runs `fn` `delayMs` from now, as part of `node` (undefined: the simulation itself, which never dies) in its
   * `generation` (default: the current one; an older one makes the event as good as discarded). `label` names the
   * event in the trace.
   */
  schedule(
    delayMs: number,
    node: SimNode | undefined,
    label: string,
    fn: () => void,
    generation = node?.generation ?? 0,
  ): SimEvent {
    if (!(delayMs >= 0)) throw new Error(`schedule(${delayMs}): a delay is a number of ms >= 0`);
    const ev: SimEvent = {
      at: this.now + delayMs,
      tie: this.ties.nextU32(),
      seq: this.seq++,
      node,
      generation,
      label,
      fn,
      cancelled: false,
    };
    this.queue.push(ev);
    return ev;
  }

  cancel(ev: SimEvent | undefined): void {
    if (ev) ev.cancelled = true;
  }

  /** Whether an event scheduled for `node` at `generation` would still run (the node lives, unrestarted). */
  current(node: SimNode | undefined, generation: number): boolean {
    return node === undefined || (node.alive && node.generation === generation);
  }

  /** The node dies: everything it scheduled, and everything on its way to it, is discarded. */
  kill(name: string): void {
    const n = this.node(name);
    n.alive = false;
    n.generation++;
    this.record(`${this.now}|${name}|kill`);
  }

  /** The node comes back as a new generation: the caller builds its service afresh on it. */
  restart(name: string): void {
    const n = this.node(name);
    n.alive = true;
    n.paused = false;
    n.pauseAtSend = false;
    n.held.length = 0;
    n.generation++;
    this.record(`${this.now}|${name}|restart`);
  }

  /**
   * The node stops running (SIGSTOP): time goes on, and everything due to it waits for resume(). An event runs
   * whole, so a pause that takes effect at once falls between two of the node's events. A real SIGSTOP lands
   * anywhere, mostly while the process works: between a check it made (its lease is still valid) and the write it
   * made on the strength of it. `atNextSend` models that instant: the node runs on until it sends its next message
   * and stops there, with the message unsent until it resumes (SimNetwork.request). If it sends nothing within
   * `pendingPauseMs`, it stops then.
   */
  pause(name: string, opts: { atNextSend?: boolean } = {}): void {
    const n = this.node(name);
    if (n.paused) return;
    if (!opts.atNextSend) {
      n.paused = true;
      this.record(`${this.now}|${name}|pause`);
      return;
    }
    n.pauseAtSend = true;
    this.record(`${this.now}|${name}|pause at next send`);
    this.schedule(pendingPauseMs, undefined, `pause ${name} unless it has sent`, () => {
      if (n.pauseAtSend) this.stopAtSend(n);
    });
  }

  /** A pending pause takes effect (the node is sending, or has sent nothing for pendingPauseMs). */
  stopAtSend(n: SimNode): void {
    n.pauseAtSend = false;
    n.paused = true;
    this.record(`${this.now}|${n.name}|pause`);
  }

  /** The node runs again (SIGCONT): what came due while it was stopped runs now, in the order it came due. */
  resume(name: string): void {
    const n = this.node(name);
    n.pauseAtSend = false;
    if (!n.paused) return;
    n.paused = false;
    this.record(`${this.now}|${name}|resume`);
    for (const [i, ev] of n.held.splice(0).entries()) {
      // Strictly after one another, so the seeded tie-break cannot reorder them.
      ev.at = this.now + i * heldGapMs;
      this.queue.push(ev);
    }
  }

  /** The virtual clock of `node`: its timers are the node's events; its wall clock can be skewed. */
  clock(name: string): Clock {
    const node = this.node(name);
    let offset = 0;
    const timers: Pick<Clock, 'setTimeout' | 'clearTimeout'> = {
      setTimeout: (fn, ms) => this.schedule(Math.max(0, ms), node, 'timer', fn) as unknown as TimerHandle,
      clearTimeout: (t) => this.cancel(t as unknown as SimEvent | undefined),
    };
    return {
      // Whole ms, as Date.now gives: the wall clock is stored in bigint columns and compared as integers.
      wallMs: () => Math.floor(simEpochMs + this.now + offset),
      monotonicMs: () => this.now,
      setOffsetMs(ms) {
        offset = ms;
      },
      offsetMs: () => offset,
      ...timers,
      setInterval: (fn, ms) => {
        const every = Math.max(1, ms);
        // One handle for the whole series: clearing it cancels whichever tick is pending.
        const handle = { current: undefined as SimEvent | undefined, cancelled: false };
        const tick = () => {
          handle.current = this.schedule(every, node, 'interval', () => {
            tick();
            fn();
          });
        };
        tick();
        return handle as unknown as TimerHandle;
      },
      clearInterval: (t) => {
        const h = t as unknown as { current: SimEvent | undefined } | undefined;
        this.cancel(h?.current);
      },
      sleep: (ms, signal) => sleepOn(timers, ms, signal),
      yieldNow: () => new Promise((resolve) => this.schedule(0, node, 'yield', resolve)),
    };
  }

  /**
   * Runs events in order until the queue is empty or a limit is reached. After each event every promise reaction
   * it set off runs before the next event. Returns the number of events run.
   */
  async run(limits: RunLimits = {}): Promise<number> {
    if (this.running) throw new Error('the kernel is already running');
    this.running = true;
    this.drain.hold(true);
    const untilMs = limits.untilMs ?? Number.POSITIVE_INFINITY;
    let ran = 0;
    try {
      for (;;) {
        const ev = this.queue.peek();
        if (!ev || ev.at > untilMs) break;
        this.queue.pop();
        if (ev.cancelled) continue;
        if (!this.current(ev.node, ev.generation)) {
          this.eventsDiscarded++;
          continue;
        }
        if (ev.node?.paused) {
          ev.node.held.push(ev);
          continue;
        }
        this.now = ev.at;
        this.record(`${ev.at}|${ev.node?.name ?? '-'}|${ev.label}`);
        this.eventsRun++;
        ran++;
        ev.fn();
        await this.drain.turn();
        if (limits.until?.()) return ran;
      }
      if (Number.isFinite(untilMs) && this.now < untilMs) this.now = untilMs;
      return ran;
    } finally {
      this.drain.hold(false);
      this.running = false;
    }
  }

  /** One line of the trace; lines are hashed in batches (one native call per batch, not per event). */
  private record(line: string): void {
    this.traceLines.push(line);
    if (this.traceLines.length >= traceBatch) this.flushTrace();
  }

  private flushTrace(): void {
    if (this.traceLines.length === 0) return;
    this.trace.update(`${this.traceLines.join('\n')}\n`);
    this.traceLines.length = 0;
  }

  /** Adds a line of the caller's own to the trace (e.g. each history op), so the hash covers it too. */
  note(line: string): void {
    this.record(`${this.now}|note|${line}`);
  }

  /** The SHA-256 of every event run so far, in order (hex). */
  traceHash(): string {
    this.flushTrace();
    return this.trace.copy().digest('hex');
  }

  /** Events waiting (cancelled and stale ones included until they come due). */
  get pending(): number {
    return this.queue.size;
  }
}

/**
 * Resolves once every promise reaction queued so far, and every reaction those queue, has run: Node empties the
 * microtask queue (and process.nextTick's) before it runs the next macrotask, so a message on a channel comes after
 * all of them. A channel rather than setImmediate: it costs about a third as much (1.3 against 3.4 us a turn, measured
 * 2026-12-07), and it is not a global the determinism guard replaces.
 */
class Drain {
  private readonly channel = new MessageChannel();
  /** Turns awaited, oldest first: each message answers one (kernels of one thread may be awaiting at once). */
  private readonly waiting: Array<() => void> = [];
  private holders = 0;

  constructor() {
    this.channel.port1.on('message', () => this.waiting.shift()?.());
    this.channel.port1.unref();
  }

  /** Keeps the process alive while a run awaits its turns (and no longer: a finished kernel holds nothing open). */
  hold(on: boolean): void {
    this.holders += on ? 1 : -1;
    if (this.holders > 0) this.channel.port1.ref();
    else this.channel.port1.unref();
  }

  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.channel.port2.postMessage(0);
    });
  }
}

let drainOfThread: Drain | undefined;
/** One channel per thread, shared by its kernels. */
function threadDrain(): Drain {
  drainOfThread ??= new Drain();
  return drainOfThread;
}

/** A binary min-heap of events by (time, seeded tie-break, insertion order). */
class EventQueue {
  private readonly items: SimEvent[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): SimEvent | undefined {
    return this.items[0];
  }

  push(ev: SimEvent): void {
    const a = this.items;
    a.push(ev);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): SimEvent | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(x: SimEvent, y: SimEvent): boolean {
  if (x.at !== y.at) return x.at < y.at;
  if (x.tie !== y.tie) return x.tie < y.tie;
  return x.seq < y.seq;
}
