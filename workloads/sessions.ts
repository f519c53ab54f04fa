// `sessions`: session creation with a realistic mix: mostly data, some voice, a little video; subscribers and
// cells drawn with a skew (a few hot ones), each session in its home cell or one or two named cells.
import type { Rng } from '../lib/rng.ts';
import { type OpSpec, pickProtocol, subscriberId, type Workload, type WorkloadOptions } from './types.ts';

/** Zipf-like rank in [0, n): rank k with probability proportional to 1/(k+1)^s, by inverse-CDF approximation. */
export function zipf(rng: Rng, n: number, s = 1.1): number {
  // Continuous approximation of the generalized harmonic CDF; exact enough for load shaping.
  const u = rng.next();
  const hn = (n ** (1 - s) - 1) / (1 - s);
  const k = Math.floor((u * hn * (1 - s) + 1) ** (1 / (1 - s)) - 1);
  return Math.min(n - 1, Math.max(0, k));
}

export const sessions: Workload = {
  name: 'sessions',
  summary: 'session creation: traffic class and protocol mixes, Zipf-distributed subscribers and cells',
  *ops(rng: Rng, opts: WorkloadOptions): Generator<OpSpec, never> {
    for (let i = 0; ; i++) {
      const trafficClass = rng.weighted({ voice: 3, video: 1, data: 6 });
      const cellCount = rng.weighted({ home: 6, one: 3, two: 1 });
      const cells =
        cellCount === 'home'
          ? undefined
          : Array.from(
              new Set(Array.from({ length: cellCount === 'one' ? 1 : 2 }, () => `cell-${zipf(rng, opts.cells) + 1}`)),
            );
      yield {
        f: 'create-session',
        value: {
          requestId: `r${i}`,
          subscriberId: subscriberId(zipf(rng, opts.subscribers)),
          trafficClass,
          protocol: pickProtocol(rng, opts.protocol),
          ...(cells ? { cells } : {}),
        },
      };
    }
  },
};
