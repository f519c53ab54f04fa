// `conservation`: credit and capacity run out. Small balances and capacities (set on the system through
// `systemEnv`) make prepares vote no for lack of credit or channels, so the conservation checker sees totals move
// only by committed sessions: no credit or channel may appear, vanish, go negative or be over-booked.
import type { Rng } from '../lib/rng.ts';
import { zipf } from './sessions.ts';
import { type OpSpec, pickProtocol, subscriberId, type Workload, type WorkloadOptions } from './types.ts';

export const conservation: Workload = {
  name: 'conservation',
  summary: 'credit and capacity exhaustion on small balances and cells; totals must be conserved',
  systemEnv: { RIG_INITIAL_BALANCE: '40', RIG_CELL_CAPACITY: '6' },
  *ops(rng: Rng, opts: WorkloadOptions): Generator<OpSpec, never> {
    const subscribers = Math.min(50, opts.subscribers);
    const cells = Math.min(10, opts.cells);
    for (let i = 0; ; i++) {
      yield {
        f: 'create-session',
        value: {
          requestId: `r${i}`,
          subscriberId: subscriberId(zipf(rng, subscribers)),
          trafficClass: rng.weighted({ voice: 2, video: 1, data: 2 }),
          protocol: pickProtocol(rng, opts.protocol),
          cells: [`cell-${zipf(rng, cells) + 1}`],
        },
      };
    }
  },
};
