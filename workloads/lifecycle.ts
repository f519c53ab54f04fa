// `lifecycle`: sessions created, read, modified and released by clients racing on the same few sessions. Sixteen
// slots picked with a skew, and ops often in bursts of two or three on one slot, so several clients act on a session
// at once; seven in ten modifies and releases carry `If-Match` with the revision their client last saw, so a client
// that fell behind gets 412 and two on the same revision race for one commit. Releases are rarer than modifies; a
// released slot is created again by its next op. This is the linearizability checker's input: every session is a
// register holding its revision.
//
// What to expect of a default run (30 s, rate 50, 8 clients), estimated by simulating the pool against a system of
// 40 ms transactions, five seeds, no faults: about 1,300 ops, of which 690-750 reads and commits the linearizable
// checker judges from the history, on 110-135 sessions (175-205 created, the rest lost a race for their slot); about
// 280 answers 412 and 150 409 not_active; 70-85 sessions have three events or more (created, changed, released).
// The DSM's CAS audit (dsm-op) adds a partition per session and several ops per transaction. Faults lower all of
// these; more judged history ops need a higher rate, hence the default of 100 (1,200-1,300 judged on about 190 sessions).
import type { Rng } from '../lib/rng.ts';
import type { CreateSessionRequest } from '../system/common/contract.ts';
import { type OpSpec, pickProtocol, slotOp, subscriberId, type Workload, type WorkloadOptions, zipf } from './types.ts';

const poolSlots = 16;
/** Of every 100 ops on a slot (an empty slot turns any of them into a create). */
const mix = { read: 30, modify: 50, release: 20 } as const;
const conditionalShare = 0.7;
/** How many ops in a row go to the same slot: a burst lands on several clients at about the same time. */
const burst = { 1: 4, 2: 3, 3: 2 } as const;

function createRequest(rng: Rng, opts: WorkloadOptions): CreateSessionRequest {
  return {
    // Spread wide: contention here is on sessions, not on subscribers' billing rows.
    subscriberId: subscriberId(zipf(rng, opts.subscribers, 0.5)),
    trafficClass: rng.weighted({ voice: 1, video: 1, data: 2 }),
    protocol: pickProtocol(rng, opts.protocol),
    ...(rng.chance(0.5) ? { cells: [`cell-${zipf(rng, opts.cells) + 1}`] } : {}),
  };
}

export const lifecycle: Workload = {
  name: 'lifecycle',
  summary: 'create, read, modify, release: clients racing on a few hot sessions, with and without If-Match',
  // Offered 100 ops/s: the linearizable checker then judges 2,000 ops or more per 30 s run under the default faults
  // (at 50, about 2,000 counting the DSM's audit, fewer when the faults take longer).
  defaultRate: 100,
  *ops(rng: Rng, opts: WorkloadOptions): Generator<OpSpec, never> {
    for (let i = 0; ; ) {
      const slot = zipf(rng, poolSlots);
      const n = Number(rng.weighted(burst));
      for (let k = 0; k < n; k++, i++) {
        const f = rng.weighted(mix);
        const fields = { slot, requestId: `r${i}`, orCreate: createRequest(rng, opts) };
        yield slotOp(rng, `${f}-session`, fields, conditionalShare, opts.cells);
      }
    }
  },
};
