// Process nemeses with real signals: kill and restart, pause past the lease, Redis restart, clock skew.
import type { Fault, Nemesis } from './types.ts';
import { noFault } from './types.ts';

export const kill: Nemesis = {
  name: 'kill',
  summary: 'SIGKILL a process (the leader, a follower or a participant), restart it on heal',
  variants: ['leader', 'follower', 'participant'],
  minWindowMs: () => 1000,
  async start(ctx, variant, rng): Promise<Fault> {
    const leader = await ctx.leader();
    let target: string;
    if (variant === 'participant') target = rng.pick(['rm', 'billing']);
    else if (variant === 'follower') target = rng.pick(ctx.cluster.nodes.filter((n) => n !== leader));
    else if (leader) target = leader;
    else target = rng.pick(ctx.cluster.nodes);
    await ctx.cluster.kill(target);
    return {
      done: { variant, target, signal: 'SIGKILL' },
      heal: async () => {
        await ctx.cluster.restart(target);
        return { restarted: target };
      },
    };
  },
};

export const pause: Nemesis = {
  name: 'pause',
  summary: 'SIGSTOP the leader for longer than its lease TTL, SIGCONT on heal',
  variants: ['leader'],
  minWindowMs: (ttl) => 2 * ttl,
  async start(ctx): Promise<Fault> {
    const target = (await ctx.leader()) ?? ctx.cluster.nodes[0]!;
    ctx.cluster.pause(target);
    return {
      done: { target, signal: 'SIGSTOP' },
      heal: async () => {
        ctx.cluster.resume(target);
        return { resumed: target, signal: 'SIGCONT' };
      },
    };
  },
};

export const redisRestart: Nemesis = {
  name: 'redis-restart',
  summary: 'restart Redis in place (AOF keeps the lease epoch, the DSM and the stream)',
  variants: ['restart'],
  minWindowMs: () => 1000,
  async start(ctx): Promise<Fault> {
    if (!ctx.restartRedis) return noFault({ skipped: ctx.cannotRestartRedis ?? 'Redis cannot be restarted here' });
    await ctx.restartRedis();
    return noFault({ restarted: 'redis' });
  },
};

export const clockSkew: Nemesis = {
  name: 'clock-skew',
  summary: "shift the leader's wall clock by up to ±20 s (leases use the monotonic clock and must not care)",
  variants: ['leader'],
  minWindowMs: () => 1000,
  async start(ctx, _variant, rng): Promise<Fault> {
    const target = (await ctx.leader()) ?? ctx.cluster.nodes[0]!;
    const offsetMs = rng.pick([-1, 1]) * rng.int(1000, 20_000);
    await ctx.setFaults(target, { clockOffsetMs: offsetMs });
    return {
      done: { target, clockOffsetMs: offsetMs },
      heal: async () => {
        await ctx.setFaults(target, {});
        return { target, clockOffsetMs: 0 };
      },
    };
  },
};

/** Which process each crash variant arms, and at which crash point (system/common/faults.ts). */
const crashVariants = {
  relay: { target: 'leader', point: 'relay-after-append' },
  'after-decision': { target: 'leader', point: 'after-decision-logged' },
  'after-precommit': { target: 'leader', point: 'after-one-precommit-sent' },
} as const;

export const crash: Nemesis = {
  name: 'crash',
  summary:
    'arm a crash point on the leader (relay between append and mark-sent; after a decision is logged; 3PC after one pre-commit), restart it on heal',
  variants: Object.keys(crashVariants),
  minWindowMs: () => 1000,
  async start(ctx, variant): Promise<Fault> {
    const v = crashVariants[variant as keyof typeof crashVariants];
    if (!v) throw new Error(`unknown crash variant ${variant}`);
    const target = (await ctx.leader()) ?? ctx.cluster.nodes[0]!;
    await ctx.setFaults(target, { crashPoints: [v.point] });
    return {
      done: { variant, target, crashPoint: v.point },
      // Restarting clears the armed point whether or not the process reached it (a crashed one starts again).
      heal: async () => {
        await ctx.cluster.restart(target);
        return { restarted: target };
      },
    };
  },
};
