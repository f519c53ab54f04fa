// `sessions`: session creation with a realistic mix: mostly data, some voice, a little video; subscribers and
// cells drawn with a skew (a few hot ones), each session in its home cell or one or two named cells. A quarter of the
// ops read, modify or release one of the most recently created sessions (a ring of slots the creates fill in turn,
// picked with a skew towards the newest), so a default run also feeds the linearizability of sessions.

import type { Rng } from '../lib/rng.ts';
import type { CreateSessionRequest } from '../system/common/contract.ts';
import { type OpSpec, pickProtocol, slotOp, subscriberId, type Workload, type WorkloadOptions, zipf } from './types.ts';

export { zipf };

/** The ring of recent sessions lifecycle ops pick from. */
const recentSlots = 16;
/** Of every 100 ops: creates, then reads, modifies and releases of recent sessions. */
const mix = { create: 75, read: 8, modify: 13, release: 4 } as const;
/** Of modifies and releases, the share sent with `If-Match`. */
const conditionalShare = 0.7;

/** A create request of this workload's mix. */
export function sessionRequest(rng: Rng, opts: WorkloadOptions): CreateSessionRequest {
  const trafficClass = rng.weighted({ voice: 3, video: 1, data: 6 });
  const cellCount = rng.weighted({ home: 6, one: 3, two: 1 });
  const cells =
    cellCount === 'home'
      ? undefined
      : Array.from(
          new Set(Array.from({ length: cellCount === 'one' ? 1 : 2 }, () => `cell-${zipf(rng, opts.cells) + 1}`)),
        );
  return {
    subscriberId: subscriberId(zipf(rng, opts.subscribers)),
    trafficClass,
    protocol: pickProtocol(rng, opts.protocol),
    ...(cells ? { cells } : {}),
  };
}

export const sessions: Workload = {
  name: 'sessions',
  summary: 'session creation, Zipf subscribers and cells; a quarter of ops read, modify or release recent ones',
  *ops(rng: Rng, opts: WorkloadOptions): Generator<OpSpec, never> {
    let created = 0;
    for (let i = 0; ; i++) {
      const f = created === 0 ? 'create' : rng.weighted(mix);
      const requestId = `r${i}`;
      const request = sessionRequest(rng, opts);
      if (f === 'create') {
        yield { f: 'create-session', value: { requestId, ...request }, slot: created++ % recentSlots };
        continue;
      }
      // 0 is the newest create: its session may still be committing, so the op may find the slot's older session.
      const back = zipf(rng, Math.min(created, recentSlots));
      const slot = (created - 1 - back) % recentSlots;
      yield slotOp(rng, `${f}-session`, { slot, requestId, orCreate: request }, conditionalShare, opts.cells);
    }
  },
};
