// Every proxy of a server, by name: create, replace (populate), delete, reset. Changes run one at a time, because
// starting a listener is asynchronous and two requests must not both pass the duplicate-name check.
import { badRequestBody, missingField, proxyAlreadyExists, proxyNotFound } from './errors.ts';
import { FaultProxy } from './proxy.ts';

export interface ProxyInput {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

export class ProxyCollection {
  private readonly proxies = new Map<string, FaultProxy>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly random: () => number) {}

  /** Runs `fn` after every change already queued: the API's equivalent of Toxiproxy's collection lock. */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  all(): FaultProxy[] {
    return [...this.proxies.values()];
  }

  get(name: string): FaultProxy {
    const proxy = this.proxies.get(name);
    if (!proxy) throw proxyNotFound();
    return proxy;
  }

  /** POST /proxies: 409 on a taken name; the listener is up before this resolves. */
  async add(input: ProxyInput): Promise<FaultProxy> {
    checkRequired(input, '');
    if (this.proxies.has(input.name)) throw proxyAlreadyExists();
    const proxy = new FaultProxy(input.name, input, this.random);
    if (input.enabled) await proxy.start();
    this.proxies.set(input.name, proxy);
    return proxy;
  }

  async remove(name: string): Promise<void> {
    const proxy = this.get(name);
    this.proxies.delete(name);
    await proxy.stop();
  }

  /**
   * POST /populate: creates each proxy, or replaces one of the same name whose listen or upstream differs; one that
   * matches is kept as it is, toxics and all. Every entry is checked before anything changes, and a listener that
   * fails to start undoes the whole request.
   */
  async populate(inputs: ProxyInput[]): Promise<FaultProxy[]> {
    const seen = new Set<string>();
    const fresh: Array<{ input: ProxyInput; proxy: FaultProxy }> = [];
    for (const [i, input] of inputs.entries()) {
      checkRequired(input, ` at proxy ${i + 1}`);
      if (seen.has(input.name)) throw badRequestBody(`duplicate proxy name "${input.name}" at proxy ${i + 1}`);
      seen.add(input.name);
      fresh.push({ input, proxy: new FaultProxy(input.name, input, this.random) });
    }
    const result: FaultProxy[] = [];
    const undo: Array<() => Promise<void>> = [];
    try {
      for (const { input, proxy } of fresh) {
        const existing = this.proxies.get(input.name);
        if (existing && existing.listen === input.listen && existing.upstream === input.upstream) {
          result.push(existing);
          continue;
        }
        await this.replace(existing, proxy, input.enabled, undo);
        result.push(proxy);
      }
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => undefined);
      throw err;
    }
    return result;
  }

  private async replace(
    existing: FaultProxy | undefined,
    proxy: FaultProxy,
    enabled: boolean,
    undo: Array<() => Promise<void>>,
  ) {
    const name = proxy.name;
    if (existing) {
      const wasEnabled = existing.enabled;
      await existing.stop();
      undo.push(async () => {
        this.proxies.set(name, existing);
        if (wasEnabled) await existing.start();
      });
    } else {
      undo.push(async () => {
        this.proxies.delete(name);
      });
    }
    undo.push(() => proxy.stop());
    if (enabled) await proxy.start();
    this.proxies.set(name, proxy);
  }

  /** POST /reset: enables every proxy and removes every toxic. */
  async reset(): Promise<void> {
    for (const proxy of this.proxies.values()) {
      await proxy.start();
      proxy.toxics.clear();
    }
  }

  /** Stops every listener and connection (server shutdown). */
  async closeAll(): Promise<void> {
    const all = [...this.proxies.values()];
    this.proxies.clear();
    await Promise.all(all.map((p) => p.stop()));
  }
}

function checkRequired(input: ProxyInput, where: string): void {
  if (input.name.length < 1) throw missingField(`name${where}`);
  if (input.upstream.length < 1) throw missingField(`upstream${where}`);
}
