// The fault network: one Toxiproxy proxy per link `<from>-><to>` (DESIGN section 1), created through the Toxiproxy
// HTTP API with toxiproxy-node-client, so any Toxiproxy-compatible backend works. Faults are toxics we add by name
// and remove on heal; a partition is a `timeout` toxic with timeout 0 (data silently dropped, like lost packets),
// so the services see hangs and deadlines, not friendly connection refusals.
import { Toxiproxy, type Proxy as ToxiproxyProxy } from 'toxiproxy-node-client';

export type Direction = 'upstream' | 'downstream';

export interface ToxicSpec {
  type: 'timeout' | 'latency' | 'reset_peer' | 'bandwidth' | 'slow_close' | 'slicer' | 'limit_data';
  attributes: Record<string, number>;
  toxicity?: number;
}

export class Network {
  private readonly client: Toxiproxy;
  private readonly proxies = new Map<string, ToxiproxyProxy>();
  private readonly active = new Map<string, Set<string>>();
  private serial = 0;

  constructor(readonly url: string) {
    this.client = new Toxiproxy(url);
  }

  /** Creates the proxy for one link and returns the address the dialling service should use instead. */
  readonly link = async (from: string, to: string, address: string): Promise<string> => {
    const name = `${from}->${to}`;
    const proxy = await this.client.createProxy({ name, listen: '127.0.0.1:0', upstream: address });
    this.proxies.set(name, proxy);
    return proxy.listen.replace(/^localhost:/, '127.0.0.1:');
  };

  get links(): string[] {
    return [...this.proxies.keys()].sort();
  }

  /** Links whose name matches: from and/or to (e.g. every link of sm-2, in either direction). */
  linksOf(node: string): string[] {
    return this.links.filter((l) => l.startsWith(`${node}->`) || l.endsWith(`->${node}`));
  }

  private proxy(name: string): ToxiproxyProxy {
    const p = this.proxies.get(name);
    if (!p) throw new Error(`no link named ${name}; links: ${this.links.join(', ')}`);
    return p;
  }

  /** Adds a toxic on each named link and direction; returns the toxic names, for the history. */
  async addToxic(
    links: string[],
    spec: ToxicSpec,
    directions: Direction[] = ['upstream', 'downstream'],
  ): Promise<string[]> {
    const added: string[] = [];
    for (const link of links) {
      for (const stream of directions) {
        const name = `rig-${spec.type}-${stream}-${++this.serial}`;
        await this.proxy(link).addToxic({
          name,
          type: spec.type,
          stream,
          toxicity: spec.toxicity ?? 1,
          attributes: spec.attributes,
        });
        const set = this.active.get(link) ?? new Set<string>();
        this.active.set(link, set);
        set.add(name);
        added.push(`${link}:${name}`);
      }
    }
    return added;
  }

  /** Drops data both ways (or one way) on the links: a partition. */
  cut(links: string[], directions: Direction[] = ['upstream', 'downstream']): Promise<string[]> {
    return this.addToxic(links, { type: 'timeout', attributes: { timeout: 0 } }, directions);
  }

  /** Removes every toxic we added. Returns the links it touched. */
  async heal(): Promise<string[]> {
    const touched: string[] = [];
    for (const [link, names] of this.active) {
      for (const name of names) {
        const toxic = await this.proxy(link)
          .getToxic(name)
          .catch(() => undefined);
        await toxic?.remove();
      }
      if (names.size > 0) touched.push(link);
    }
    this.active.clear();
    return touched;
  }

  /** Disables (or re-enables) links entirely: listener and open connections closed. */
  async setEnabled(links: string[], enabled: boolean): Promise<void> {
    for (const link of links) {
      const p = this.proxy(link);
      this.proxies.set(link, await p.update({ enabled, listen: p.listen, upstream: p.upstream }));
    }
  }
}
