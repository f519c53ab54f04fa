// Network nemeses over the Toxiproxy links: partitions of several shapes, latency with jitter, connection resets.
import type { Rng } from '../../lib/rng.ts';
import { HealSteps } from './heal.ts';
import type { Fault, Nemesis, NemesisContext } from './types.ts';

async function leaderOrThrow(ctx: NemesisContext): Promise<string> {
  const leader = await ctx.leader();
  if (!leader) throw new Error('no leader to target');
  return leader;
}

function healer(ctx: NemesisContext): () => Promise<Record<string, unknown>> {
  return async () => {
    const steps = new HealSteps();
    return steps.finish({ healed: await ctx.net.heal(steps) });
  };
}

export const partition: Nemesis = {
  name: 'partition',
  summary:
    'partitions: isolate the leader, leader cut from Redis (with or without its database link lagging), coordinator cut from one participant, one-way, halves',
  variants: ['isolate-leader', 'leader-from-redis', 'leader-from-participant', 'one-way', 'halves', 'leader-lagging'],
  minWindowMs: (ttl) => 2 * ttl,
  async start(ctx, variant, rng): Promise<Fault> {
    const leader = await leaderOrThrow(ctx);
    let links: string[];
    let directions: Array<'upstream' | 'downstream'> = ['upstream', 'downstream'];
    let extra: Record<string, unknown> = {};
    switch (variant) {
      case 'isolate-leader':
        links = ctx.net.linksOf(leader);
        break;
      case 'leader-from-redis':
        links = [`${leader}->redis`];
        break;
      case 'leader-from-participant':
        links = [`${leader}->${rng.pick(['rm', 'billing'])}`];
        break;
      case 'one-way':
        links = [`${leader}->${rng.pick(['redis', 'rm', 'billing', 'postgres'])}`];
        directions = [rng.pick(['upstream', 'downstream'] as const)];
        break;
      case 'leader-lagging': {
        // A gray failure: the leader loses Redis, so its lease, while its database link lags by twice the lease
        // TTL. Every write it sends before it steps down reaches the database after the next leader has taken
        // over and fenced it (the takeover needs at most a TTL and a third), which only the fence can refuse.
        const lagged = [`${leader}->postgres`];
        const latencyMs = 2 * ctx.leaseTtlMs;
        await ctx.net.addToxic(lagged, { type: 'latency', attributes: { latency: latencyMs, jitter: 0 } }, [
          'upstream',
        ]);
        links = [`${leader}->redis`];
        extra = { lagged, latencyMs };
        break;
      }
      case 'halves': {
        const others = ctx.cluster.nodes.filter((n) => n !== leader);
        const side = [leader, ...others.filter(() => rng.chance(0.5))].slice(
          0,
          Math.max(1, Math.floor(ctx.cluster.nodes.length / 2)),
        );
        links = side.flatMap((n) => [`${n}->redis`, `${n}->postgres`]);
        extra = { side };
        break;
      }
      default:
        throw new Error(`unknown partition variant ${variant}`);
    }
    await ctx.net.cut(links, directions);
    return { done: { variant, leader, links, directions, ...extra }, heal: healer(ctx) };
  },
};

export const latency: Nemesis = {
  name: 'latency',
  summary: 'latency with jitter on the links of one node or on every session-manager link',
  variants: ['leader', 'participants', 'everywhere'],
  minWindowMs: () => 1000,
  async start(ctx, variant, rng): Promise<Fault> {
    const ms = rng.int(20, 250);
    const jitter = rng.int(0, Math.floor(ms / 2));
    let links: string[];
    if (variant === 'leader') links = ctx.net.linksOf(await leaderOrThrow(ctx));
    else if (variant === 'participants') links = ctx.net.links.filter((l) => /->(rm|billing)$/.test(l));
    else links = ctx.net.links.filter((l) => l.startsWith('sm-'));
    await ctx.net.addToxic(links, { type: 'latency', attributes: { latency: ms, jitter } });
    return { done: { variant, latencyMs: ms, jitterMs: jitter, links }, heal: healer(ctx) };
  },
};

export const reset: Nemesis = {
  name: 'reset',
  summary: 'connection resets (TCP RST) on a share of the connections of some links',
  variants: ['leader', 'participants'],
  minWindowMs: () => 1000,
  async start(ctx, variant, rng: Rng): Promise<Fault> {
    const links =
      variant === 'leader'
        ? ctx.net.linksOf(await leaderOrThrow(ctx))
        : ctx.net.links.filter((l) => /->(rm|billing)$/.test(l));
    const toxicity = Math.round(rng.int(20, 60)) / 100;
    await ctx.net.addToxic(links, { type: 'reset_peer', attributes: { timeout: rng.int(0, 200) }, toxicity }, [
      'downstream',
    ]);
    return { done: { variant, links, toxicity }, heal: healer(ctx) };
  },
};
