// Planted bugs (DESIGN section 6): deliberately broken behaviours that the checkers must catch, each off by default,
// switched on by name in RIG_BUG (a comma list), and each read in exactly one place in the code.
import { ConfigError, type Env } from './config.ts';

export const plantedBugs = {
  '3pc-timeout-commit':
    'a 3PC participant pre-committed longer than its timeout commits on its own (unsafe under partitions)',
  'no-fencing':
    'the DSM and the transaction log (intents, decisions) accept writes whatever their token, so a deposed leader can still write',
  'stale-leader': 'a leader whose lease renewal failed, or may have lapsed, keeps leading',
  'no-decision-log': 'phase 2 is sent without logging the decision first',
  'early-commit': 'a participant is told to commit as soon as it votes yes, before the other has voted',
  'emit-before-commit': 'the commit event goes to the stream when the intent is logged, before any decision',
  'unordered-events': 'event sequence numbers are counted across all sessions instead of per session',
  'no-lock-timeout': 'a prepare waits for its locks for ever',
  'cas-no-compare': "the DSM's compare-and-swap writes whatever version the record is at, without comparing it",
  'release-keeps-capacity': 'a released session keeps its channels: the resource manager never gives them back',
} as const;

export type PlantedBug = keyof typeof plantedBugs;

/** Whether RIG_BUG switches `name` on; an unknown name in RIG_BUG fails the start. */
export function plantedBug(env: Env, name: PlantedBug): boolean {
  const named = (env.optional('RIG_BUG') ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const unknown = named.filter((b) => !Object.hasOwn(plantedBugs, b));
  if (unknown.length > 0) {
    throw new ConfigError(`RIG_BUG: unknown bug ${unknown.join(', ')}; known: ${Object.keys(plantedBugs).join(', ')}`);
  }
  return named.includes(name);
}
