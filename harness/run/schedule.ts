// The fault schedule, resolved from the seed before the run starts and stored in config.json: a warm-up heal
// window, then alternating fault and heal windows until the time limit; then the final heal and the quiet window.
import type { Window } from '../../format/config.ts';
import type { Rng } from '../../lib/rng.ts';
import type { Nemesis } from '../nemesis/types.ts';

export interface ScheduleOptions {
  timeLimitMs: number;
  leaseTtlMs: number;
  faultMinMs?: number;
  faultMaxMs?: number;
  healMinMs?: number;
  healMaxMs?: number;
}

export function planSchedule(rng: Rng, nemeses: readonly Nemesis[], o: ScheduleOptions): Window[] {
  if (nemeses.length === 0) return [];
  const healMin = o.healMinMs ?? 2000;
  const healMax = o.healMaxMs ?? 4000;
  const windows: Window[] = [];
  let t = rng.int(healMin, healMax);
  // Rounds of a seeded permutation: every enabled nemesis gets its turn before any repeats.
  let round: Nemesis[] = [];
  for (;;) {
    if (round.length === 0) round = shuffle(rng, nemeses);
    const nemesis = round.shift()!;
    const min = Math.max(o.faultMinMs ?? 2000, nemesis.minWindowMs(o.leaseTtlMs));
    const duration = rng.int(min, Math.max(min, o.faultMaxMs ?? 5000));
    if (t + duration > o.timeLimitMs) break;
    windows.push({ startMs: t, endMs: t + duration, nemesis: nemesis.name, variant: rng.pick(nemesis.variants) });
    t += duration + rng.int(healMin, healMax);
  }
  return windows;
}

function shuffle<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
