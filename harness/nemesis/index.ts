// Every nemesis by name (`rig run --nemesis a,b | all | none`).
import { latency, partition, reset } from './network.ts';
import { clockSkew, crash, kill, pause, redisRestart } from './process.ts';
import type { Nemesis } from './types.ts';

export const nemeses: readonly Nemesis[] = [partition, latency, reset, kill, pause, redisRestart, clockSkew, crash];

/**
 * Parses `--nemesis`: a comma list of names, each optionally narrowed to some of its variants
 * (`partition:leader-from-redis,kill:leader`), or `all` / `none`; names every unknown entry.
 */
export function parseNemeses(spec: string): Nemesis[] {
  if (spec === 'none' || spec === '') return [];
  if (spec === 'all') return [...nemeses];
  const chosen = new Map<string, Set<string> | 'all'>();
  const problems: string[] = [];
  for (const entry of spec.split(',').map((s) => s.trim())) {
    const [name = '', variant] = entry.split(':');
    const n = nemeses.find((x) => x.name === name);
    if (!n) problems.push(`unknown nemesis ${name}`);
    else if (variant !== undefined && !n.variants.includes(variant)) {
      problems.push(`${name} has no variant ${variant} (it has ${n.variants.join(', ')})`);
    } else if (variant === undefined) chosen.set(name, 'all');
    else {
      const prior = chosen.get(name);
      if (prior !== 'all') chosen.set(name, new Set([...(prior ?? []), variant]));
    }
  }
  if (problems.length > 0) {
    throw new Error(`${problems.join('; ')}; choose from ${nemeses.map((n) => n.name).join(', ')}, all, none`);
  }
  return nemeses
    .filter((n) => chosen.has(n.name))
    .map((n) => {
      const v = chosen.get(n.name)!;
      return v === 'all' ? n : { ...n, variants: n.variants.filter((x) => v.has(x)) };
    });
}

export type { Fault, Nemesis, NemesisContext } from './types.ts';
