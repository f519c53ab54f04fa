// The fault network: one Toxiproxy proxy per link `<from>-><to>` (DESIGN section 1), created through the Toxiproxy
// HTTP API with toxiproxy-node-client, so any Toxiproxy-compatible backend works. Faults are toxics we add by name
// and remove on heal; a partition is a `timeout` toxic with timeout 0 (data silently dropped, like lost packets),
// so the services see hangs and deadlines, not friendly connection refusals.
import { type Toxic, Toxiproxy, type Proxy as ToxiproxyProxy } from 'toxiproxy-node-client';
import type { HealSteps } from './heal.ts';

export type Direction = 'upstream' | 'downstream';

export interface ToxicSpec {
  type: 'timeout' | 'latency' | 'reset_peer' | 'bandwidth' | 'slow_close' | 'slicer' | 'limit_data';
  attributes: Record<string, number>;
  toxicity?: number;
}

export class Network {
  private readonly client: Toxiproxy;
  private readonly proxies = new Map<string, ToxiproxyProxy>();
  /** Toxics we added and have not removed yet, each with its link. */
  private active: Array<{ link: string; toxic: Toxic<unknown> }> = [];
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
        const toxic = await this.proxy(link).addToxic({
          name,
          type: spec.type,
          stream,
          toxicity: spec.toxicity ?? 1,
          attributes: spec.attributes,
        });
        this.active.push({ link, toxic });
        added.push(`${link}:${name}`);
      }
    }
    return added;
  }

  /** Drops data both ways (or one way) on the links: a partition. */
  cut(links: string[], directions: Direction[] = ['upstream', 'downstream']): Promise<string[]> {
    return this.addToxic(links, { type: 'timeout', attributes: { timeout: 0 } }, directions);
  }

  /**
   * Removes every toxic we added, each failure kept in `steps` (the toxic stays listed, for a later heal to retry).
   * Returns the links it removed toxics from.
   */
  async heal(steps: HealSteps): Promise<string[]> {
    const touched = new Set<string>();
    const left: typeof this.active = [];
    for (const a of this.active) {
      if (await steps.run(`remove toxic ${a.toxic.name} from ${a.link}`, () => a.toxic.remove())) touched.add(a.link);
      else left.push(a);
    }
    this.active = left;
    return [...touched].sort();
  }

  /** Disables (or re-enables) links entirely: listener and open connections closed. */
  async setEnabled(links: string[], enabled: boolean): Promise<void> {
    for (const link of links) {
      const p = this.proxy(link);
      this.proxies.set(link, await p.update({ enabled, listen: p.listen, upstream: p.upstream }));
    }
  }
}
