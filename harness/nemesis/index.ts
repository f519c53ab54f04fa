// Every nemesis by name (`rig run --nemesis a,b | all | none`).
import { latency, partition, reset } from './network.ts';
import { clockSkew, kill, pause, redisRestart } from './process.ts';
import type { Nemesis } from './types.ts';

export const nemeses: readonly Nemesis[] = [partition, latency, reset, kill, pause, redisRestart, clockSkew];

/** Parses `--nemesis`: a comma list, `all` or `none`; names every unknown entry. */
export function parseNemeses(spec: string): Nemesis[] {
  if (spec === 'none' || spec === '') return [];
  if (spec === 'all') return [...nemeses];
  const names = spec.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !nemeses.some((x) => x.name === n));
  if (unknown.length > 0) {
    throw new Error(
      `unknown nemesis ${unknown.join(', ')}; choose from ${nemeses.map((n) => n.name).join(', ')}, all, none`,
    );
  }
  return nemeses.filter((n) => names.includes(n.name));
}

export type { Fault, Nemesis, NemesisContext } from './types.ts';
