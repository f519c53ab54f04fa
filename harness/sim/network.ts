// The simulated network: every call between two simulated nodes (a service calling a service, a service calling
// its Redis or PostgreSQL) travels through a named link `<from>-><to>`, as every real call travels through its own
// fault-proxy link (DESIGN section 1). A link is a Toxiproxy proxy: the request goes `upstream`, the reply comes
// back `downstream`, each direction FIFO after a seeded latency, and each can carry toxics with the fault proxy's
// meaning (harness/proxy/, docs/proxy.md):
// - `timeout` with timeout 0 holds the connection open and drops the data, so the caller waits out its own
//   deadline (a partition); with timeout N > 0 it closes the connection N ms later (a reset);
// - `latency` adds `latency` ms, plus or minus up to `jitter`;
// - `reset_peer` resets a share (`toxicity`) of the connections, `timeout` ms later;
// - a disabled link refuses new connections (a definite failure) and resets those open.
// A request reaching a dead node is reset, as a killed process's closed port is through the proxy; a paused node
// takes it in and answers once resumed; the reply of a node that died while serving never comes.
import type { Kernel, SimNode } from './kernel.ts';

/** How a call failed, with the errno-style code the real clients see for the same thing. */
export type NetworkErrorCode = 'ETIMEDOUT' | 'ECONNRESET' | 'ECONNREFUSED' | 'EABANDONED';

export class NetworkError extends Error {
  constructor(
    readonly code: NetworkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}

export type Direction = 'upstream' | 'downstream';

/** The toxics the simulated links honour: the ones our nemeses use (harness/nemesis/links.ts, ToxicSpec). */
export interface SimToxic {
  type: 'timeout' | 'latency' | 'reset_peer';
  attributes: Record<string, number>;
  toxicity?: number;
}

export interface LinkSettings {
  /** One-way delay, ms. */
  latencyMs: number;
  /** Added to the latency: uniform in [0, jitterMs), drawn from the seed. */
  jitterMs: number;
}

interface Link {
  name: string;
  enabled: boolean;
  toxics: Array<SimToxic & { name: string; direction: Direction }>;
  /** When the last message sent each way arrives: a later one never arrives before it (FIFO). */
  lastArrivalMs: Record<Direction, number>;
}

export interface RequestOptions {
  timeoutMs: number;
  /** Abandons the call (it may still be served): EABANDONED. */
  signal?: AbortSignal;
}

/** Loopback through the proxy: a fraction of a millisecond each way. */
export const defaultLinkSettings: LinkSettings = { latencyMs: 0.3, jitterMs: 0.4 };

/** The smallest gap between two arrivals one way on one link: keeps FIFO strict where the tie-break would reorder. */
const fifoGapMs = 0.001;

/** What becomes of one message: it arrives after `delayMs`, it is lost, or its connection is reset after `delayMs`. */
type Fate = { kind: 'arrive'; delayMs: number } | { kind: 'lost' } | { kind: 'reset'; delayMs: number };

export class SimNetwork {
  private readonly byName = new Map<string, Link>();
  private readonly declared = new Set<string>();
  private serial = 0;
  /** Messages sent, by what became of them (rig sim prints them with the run's trace). */
  readonly counts = { delivered: 0, dropped: 0, reset: 0, refused: 0 };

  constructor(
    private readonly kernel: Kernel,
    private readonly settings: LinkSettings = defaultLinkSettings,
  ) {}

  private link(from: string, to: string): Link {
    const name = `${from}->${to}`;
    let l = this.byName.get(name);
    if (!l) {
      l = { name, enabled: true, toxics: [], lastArrivalMs: { upstream: 0, downstream: 0 } };
      this.byName.set(name, l);
    }
    return l;
  }

  private named(name: string): Link {
    const l = this.declared.has(name) ? this.byName.get(name) : undefined;
    if (!l) throw new Error(`no link named ${name}; links: ${this.links.join(', ')}`);
    return l;
  }

  /** Declares the link `from`->`to` as one the nemeses may act on (the real cluster's proxies). */
  declare(from: string, to: string): void {
    this.link(from, to);
    this.declared.add(`${from}->${to}`);
  }

  // The fault network as the nemeses see it (harness/nemesis/types.ts, NemesisNetwork), as the Toxiproxy one is.

  get links(): string[] {
    return [...this.declared].sort();
  }

  linksOf(node: string): string[] {
    return this.links.filter((l) => l.startsWith(`${node}->`) || l.endsWith(`->${node}`));
  }

  async addToxic(
    links: string[],
    spec: SimToxic | { type: string },
    directions: Direction[] = ['upstream', 'downstream'],
  ): Promise<string[]> {
    if (!['timeout', 'latency', 'reset_peer'].includes(spec.type)) {
      throw new Error(`the simulated network has no ${spec.type} toxic (it has timeout, latency, reset_peer)`);
    }
    const toxic = spec as SimToxic;
    const added: string[] = [];
    for (const name of links) {
      const l = this.named(name);
      for (const direction of directions) {
        const toxicName = `rig-${toxic.type}-${direction}-${++this.serial}`;
        l.toxics.push({ ...toxic, name: toxicName, direction });
        added.push(`${name}:${toxicName}`);
      }
    }
    return added;
  }

  cut(links: string[], directions: Direction[] = ['upstream', 'downstream']): Promise<string[]> {
    return this.addToxic(links, { type: 'timeout', attributes: { timeout: 0 } }, directions);
  }

  /** Removes every toxic; returns the links it removed toxics from. Messages already lost stay lost. */
  async heal(): Promise<string[]> {
    const touched: string[] = [];
    for (const l of this.byName.values()) {
      if (l.toxics.length === 0) continue;
      l.toxics = [];
      touched.push(l.name);
    }
    return touched.sort();
  }

  async setEnabled(links: string[], enabled: boolean): Promise<void> {
    for (const name of links) this.named(name).enabled = enabled;
  }

  /**
   * Calls `serve` at `to` on behalf of `from`: the request crosses `from->to` upstream, `serve` runs at `to` when it
   * arrives, and its result or rejection comes back downstream. `serve`'s own rejection reaches the caller as it is;
   * the network's failures are NetworkErrors.
   */
  request<T>(from: string, to: string, label: string, serve: () => Promise<T>, opts: RequestOptions): Promise<T> {
    const caller = this.kernel.node(from);
    // A dead caller sends nothing at all.
    if (!caller.alive) return new Promise<T>(() => {});
    return new Promise<T>((resolve, reject) => {
      const call = new Call<T>(this, this.kernel, caller, this.link(from, to), to, label, serve, resolve, reject);
      call.start(opts);
    });
  }

  /** How a call's message fares one way on its link (Call's side of the network). */
  carry(call: Call<unknown>, direction: Direction, arrive: () => void): void {
    const k = this.kernel;
    const link = call.link;
    const fate = this.fate(link, direction);
    switch (fate.kind) {
      case 'lost':
        this.counts.dropped++;
        return;
      case 'reset':
        this.counts.reset++;
        call.atCaller(fate.delayMs, 'reset', () => call.fail('ECONNRESET'));
        return;
      case 'arrive': {
        const at = Math.max(k.nowMs() + fate.delayMs, link.lastArrivalMs[direction] + fifoGapMs);
        link.lastArrivalMs[direction] = at;
        this.counts.delivered++;
        // A request is judged when it arrives; a reply belongs to the caller as it was when it called.
        if (direction === 'upstream') k.schedule(at - k.nowMs(), undefined, link.name, arrive);
        else call.atCaller(at - k.nowMs(), link.name, arrive);
        return;
      }
    }
  }

  refused(): void {
    this.counts.refused++;
  }

  /** What the link's toxics in `direction` do to one message. */
  private fate(link: Link, direction: Direction): Fate {
    const rng = this.kernel.rng;
    let delayMs = this.settings.latencyMs + rng.next() * this.settings.jitterMs;
    if (!link.enabled) return { kind: 'reset', delayMs };
    for (const t of link.toxics) {
      if (t.direction !== direction) continue;
      if (t.toxicity !== undefined && t.toxicity < 1 && !rng.chance(t.toxicity)) continue;
      const a = t.attributes;
      if (t.type === 'timeout') return a.timeout ? { kind: 'reset', delayMs: a.timeout } : { kind: 'lost' };
      if (t.type === 'reset_peer') return { kind: 'reset', delayMs: a.timeout ?? 0 };
      const jitter = a.jitter ?? 0;
      delayMs += Math.max(0, (a.latency ?? 0) + (jitter > 0 ? (rng.next() * 2 - 1) * jitter : 0));
    }
    return { kind: 'arrive', delayMs };
  }
}

/**
 * One call in flight. Everything that reaches the caller belongs to the caller as it was when it called: if it dies
 * (or dies and comes back) in the meantime, none of it arrives. A class, not closures: a run makes tens of thousands.
 */
class Call<T> {
  private settled = false;
  private readonly generation: number;
  private deadline: ReturnType<Kernel['schedule']> | undefined;
  private signal: AbortSignal | undefined;
  private readonly abandon = () => this.fail('EABANDONED');

  constructor(
    private readonly net: SimNetwork,
    private readonly k: Kernel,
    private readonly caller: SimNode,
    readonly link: Link,
    private readonly to: string,
    private readonly label: string,
    private readonly serve: () => Promise<T>,
    private readonly resolve: (value: T) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.generation = caller.generation;
  }

  start(opts: RequestOptions): void {
    this.deadline = this.atCaller(opts.timeoutMs, 'deadline', () => this.fail('ETIMEDOUT'));
    if (opts.signal) {
      if (opts.signal.aborted) {
        this.abandon();
        return;
      }
      this.signal = opts.signal;
      opts.signal.addEventListener('abort', this.abandon, { once: true });
    }
    if (!this.link.enabled) {
      this.net.refused();
      this.atCaller(0, 'refused', () => this.fail('ECONNREFUSED'));
      return;
    }
    if (this.caller.pauseAtSend) {
      // Stopped with this message in hand: it leaves when the node is resumed (Kernel.pause, atNextSend).
      this.k.stopAtSend(this.caller);
      this.atCaller(0, 'send', () => this.net.carry(this as Call<unknown>, 'upstream', () => this.arrive()));
      return;
    }
    this.net.carry(this as Call<unknown>, 'upstream', () => this.arrive());
  }

  atCaller(delayMs: number, label: string, fn: () => void): ReturnType<Kernel['schedule']> {
    return this.k.schedule(delayMs, this.caller, label, fn, this.generation);
  }

  fail(code: NetworkErrorCode): void {
    this.settle(() => this.reject(new NetworkError(code, `${this.link.name}: ${code} (${this.label})`)));
  }

  private settle(deliver: () => void): void {
    if (this.settled) return;
    this.settled = true;
    this.k.cancel(this.deadline);
    this.signal?.removeEventListener('abort', this.abandon);
    deliver();
  }

  private answer(deliver: () => void): void {
    this.net.carry(this as Call<unknown>, 'downstream', () => this.settle(deliver));
  }

  /** The request at the server: a dead one resets it; a live one serves it as its own event (held while paused). */
  private arrive(): void {
    const server = this.k.node(this.to);
    if (!server.alive) {
      this.answer(() => this.reject(new NetworkError('ECONNRESET', `${this.to} is down (${this.label})`)));
      return;
    }
    const generation = server.generation;
    this.k.schedule(0, server, 'serve', () => {
      let served: Promise<T>;
      try {
        served = this.serve();
      } catch (err) {
        served = Promise.reject(err);
      }
      served.then(
        (value) => {
          if (this.k.current(server, generation)) this.answer(() => this.resolve(value));
        },
        (err: unknown) => {
          if (this.k.current(server, generation)) this.answer(() => this.reject(err));
        },
      );
    });
  }
}

/**
 * A port of a store, called over the network: each method call of `target` (a model of Redis or PostgreSQL) runs at
 * `server` when the request arrives, and its answer comes back over the reverse link. Arguments and results are
 * copied, as bytes on a wire would be: neither side can change the other's objects.
 */
export function remote<T extends object>(
  net: SimNetwork,
  client: string,
  server: string,
  target: T,
  timeoutMs: number,
): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        const name = String(prop);
        fn = (...args: unknown[]) => {
          const sent = structuredClone(args);
          return net
            .request(client, server, name, () => Promise.resolve(value.apply(obj, sent)), { timeoutMs })
            .then((result) => (result === undefined ? undefined : structuredClone(result)));
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}
