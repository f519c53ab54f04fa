// `leader-churn`: a steady stream of short sessions while leaders are killed and paused (its default nemeses),
// so that many transactions are in flight at every change of leader.
import type { Rng } from '../lib/rng.ts';
import { type OpSpec, pickProtocol, subscriberId, type Workload, type WorkloadOptions } from './types.ts';

export const leaderChurn: Workload = {
  name: 'leader-churn',
  summary: 'high-rate session creation while leaders are killed and paused',
  defaultNemesis: 'kill,pause',
  *ops(rng: Rng, opts: WorkloadOptions): Generator<OpSpec, never> {
    for (let i = 0; ; i++) {
      yield {
        f: 'create-session',
        value: {
          requestId: `r${i}`,
          subscriberId: subscriberId(rng.int(0, opts.subscribers - 1)),
          trafficClass: rng.weighted({ voice: 1, video: 1, data: 1 }),
          protocol: pickProtocol(rng, opts.protocol),
        },
      };
    }
  },
};
