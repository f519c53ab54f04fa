// `priority`: the scheduler under saturation (spec section 8). One worker on the leader, so with the default eight
// clients several requests wait in the queue at once, of every class; a short aging bound, so data is promoted ahead
// of voice now and then and the aging rule is exercised too. The scheduler checker judges every start against the
// requests still waiting; this workload is what gives it decisions to judge.
import type { Rng } from '../lib/rng.ts';
import { zipf } from './sessions.ts';
import { type OpSpec, pickProtocol, subscriberId, type Workload, type WorkloadOptions } from './types.ts';

export const priority: Workload = {
  name: 'priority',
  summary: 'the scheduler saturated: one worker, every class waiting at once, a short aging bound',
  systemEnv: { RIG_WORKERS: '1', RIG_SCHEDULER_AGING_MS: '200' },
  *ops(rng: Rng, opts: WorkloadOptions): Generator<OpSpec, never> {
    for (let i = 0; ; i++) {
      yield {
        f: 'create-session',
        value: {
          requestId: `r${i}`,
          // Spread wide: the queue, not lock conflicts, should decide the order.
          subscriberId: subscriberId(zipf(rng, opts.subscribers, 0.5)),
          trafficClass: rng.weighted({ voice: 1, video: 1, data: 2 }),
          protocol: pickProtocol(rng, opts.protocol),
        },
      };
    }
  },
};
