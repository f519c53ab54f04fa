// The simulated network: every call between two simulated nodes (a service calling a service, a service calling
// its Redis or PostgreSQL) travels over a named link `<from>-><to>`, as every real call travels through its own
// fault-proxy link (DESIGN section 1). A link delivers in FIFO order, after a seeded latency, and can be set to
// behave as the fault proxy does (harness/proxy/): `timeout` holds the connection open and drops the data, so the
// caller waits out its own deadline; `reset` resets the connection, an indeterminate failure; `down` is a disabled
// proxy, which refuses connections, a definite failure.
//
// A call is a request and a reply, each on its own link (the reply on `<to>-><from>`), so one-way cuts act on one
// direction only. A request reaching a dead node is answered by a reset, as a killed process's closed port is
// through the proxy. The reply of a node that died while serving never comes: its caller's deadline answers.
import type { Kernel, SimNode } from './kernel.ts';

export type LinkMode = 'up' | 'timeout' | 'reset' | 'down';

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

export interface LinkSettings {
  /** One-way delay, ms. */
  latencyMs: number;
  /** Added to the latency: uniform in [0, jitterMs), drawn from the seed. */
  jitterMs: number;
}

interface Link extends LinkSettings {
  name: string;
  mode: LinkMode;
  /** When the last message sent on it arrives: a later one never arrives before it (FIFO). */
  lastArrivalMs: number;
}

export interface RequestOptions {
  timeoutMs: number;
  /** Abandons the call (it may still be served): EABANDONED. */
  signal?: AbortSignal;
}

/** Loopback through the proxy: a fraction of a millisecond each way. */
export const defaultLinkSettings: LinkSettings = { latencyMs: 0.3, jitterMs: 0.4 };

/** The smallest gap between two arrivals on one link: keeps FIFO strict where the tie-break would reorder. */
const fifoGapMs = 0.001;

export class SimNetwork {
  private readonly links = new Map<string, Link>();
  /** Messages sent, by outcome: what the run's coverage shows of the network. */
  readonly counts = { delivered: 0, dropped: 0, reset: 0, refused: 0 };

  constructor(
    private readonly kernel: Kernel,
    private readonly defaults: LinkSettings = defaultLinkSettings,
  ) {}

  private link(from: string, to: string): Link {
    const name = `${from}->${to}`;
    let l = this.links.get(name);
    if (!l) {
      l = { name, mode: 'up', lastArrivalMs: 0, ...this.defaults };
      this.links.set(name, l);
    }
    return l;
  }

  /** Sets how the link `from`->`to` behaves from now on (messages already on their way are not recalled). */
  setMode(from: string, to: string, mode: LinkMode): void {
    this.link(from, to).mode = mode;
  }

  mode(from: string, to: string): LinkMode {
    return this.link(from, to).mode;
  }

  /**
   * Calls `serve` at `to` on behalf of `from`: the request crosses `from->to`, `serve` runs at `to` when it arrives,
   * and its result or rejection crosses back on `to->from`. `serve`'s own rejection reaches the caller as it is;
   * the network's failures are NetworkErrors.
   */
  request<T>(from: string, to: string, label: string, serve: () => Promise<T>, opts: RequestOptions): Promise<T> {
    const k = this.kernel;
    // Everything that reaches the caller belongs to the caller as it was when it called: if it dies (or dies and
    // comes back) in the meantime, none of it arrives.
    const caller = { node: k.node(from), generation: k.node(from).generation };
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        k.cancel(deadline);
        opts.signal?.removeEventListener('abort', abandon);
        fn();
      };
      const fail = (code: NetworkErrorCode) =>
        settle(() => reject(new NetworkError(code, `${from}->${to}: ${code} (${label})`)));
      const atCaller = (delayMs: number, label: string, fn: () => void) =>
        k.schedule(delayMs, caller.node, label, fn, caller.generation);
      const deadline = atCaller(opts.timeoutMs, `deadline ${from}->${to}`, () => fail('ETIMEDOUT'));
      const abandon = () => fail('EABANDONED');
      if (opts.signal?.aborted) return abandon();
      opts.signal?.addEventListener('abort', abandon, { once: true });

      const out = this.link(from, to);
      if (out.mode === 'down') {
        this.counts.refused++;
        atCaller(0, `refused ${out.name}`, () => fail('ECONNREFUSED'));
        return;
      }
      this.carry(
        out,
        undefined,
        atCaller,
        `${out.name} ${label}`,
        () => fail('ECONNRESET'),
        () => {
          const server = k.node(to);
          const back = this.link(to, from);
          const answer = (deliver: () => void) =>
            this.carry(
              back,
              caller,
              atCaller,
              `${back.name} reply`,
              () => fail('ECONNRESET'),
              () => settle(deliver),
            );
          if (!server.alive) return answer(() => reject(new NetworkError('ECONNRESET', `${to} is down (${label})`)));
          const generation = server.generation;
          let served: Promise<T>;
          try {
            served = serve();
          } catch (err) {
            served = Promise.reject(err);
          }
          served.then(
            (value) => {
              if (k.current(server, generation)) answer(() => resolve(value));
            },
            (err: unknown) => {
              if (k.current(server, generation)) answer(() => reject(err));
            },
          );
        },
      );
    });
  }

  /**
   * One message on `link`: `arrive` runs when it arrives, as part of `receiver` (undefined: judged on arrival); on a
   * link that resets (or is down, for a connection already open), `onReset` runs at the caller instead (`atCaller`);
   * on a link that times out it is lost.
   */
  private carry(
    link: Link,
    receiver: { node: SimNode; generation: number } | undefined,
    atCaller: (delayMs: number, label: string, fn: () => void) => void,
    label: string,
    onReset: () => void,
    arrive: () => void,
  ): void {
    const k = this.kernel;
    const delay = link.latencyMs + k.rng.next() * link.jitterMs;
    switch (link.mode) {
      case 'timeout':
        this.counts.dropped++;
        return;
      case 'reset':
      case 'down':
        this.counts.reset++;
        atCaller(delay, `reset ${link.name}`, onReset);
        return;
      case 'up': {
        const at = Math.max(k.nowMs() + delay, link.lastArrivalMs + fifoGapMs);
        link.lastArrivalMs = at;
        this.counts.delivered++;
        k.schedule(at - k.nowMs(), receiver?.node, label, arrive, receiver?.generation);
        return;
      }
    }
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
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const sent = structuredClone(args);
        return net
          .request(client, server, String(prop), () => Promise.resolve(value.apply(obj, sent)), { timeoutMs })
          .then((result) => (result === undefined ? undefined : structuredClone(result)));
      };
    },
  });
}
