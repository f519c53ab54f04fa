// `contention`: multi-resource sessions that lock in conflicting orders, to force deadlocks. A few hot cells
// listed in random order (lock-order conflicts at the resource manager) and a few hot subscribers (so the billing
// row of one transaction and the cells of another close a cycle across participants, which no single Postgres sees).
import type { Rng } from '../lib/rng.ts';
import { type OpSpec, pickProtocol, subscriberId, type Workload, type WorkloadOptions } from './types.ts';

const hotCells = 4;
const hotSubscribers = 3;

export const contention: Workload = {
  name: 'contention',
  summary: 'multi-resource sessions on a few hot cells and subscribers, in conflicting lock orders',
  *ops(rng: Rng, opts: WorkloadOptions): Generator<OpSpec, never> {
    const cellPool = Array.from({ length: Math.min(hotCells, opts.cells) }, (_, i) => `cell-${i + 1}`);
    for (let i = 0; ; i++) {
      const count = rng.int(2, Math.min(3, cellPool.length));
      const shuffled = [...cellPool];
      for (let j = shuffled.length - 1; j > 0; j--) {
        const k = rng.int(0, j);
        [shuffled[j], shuffled[k]] = [shuffled[k]!, shuffled[j]!];
      }
      yield {
        f: 'create-session',
        value: {
          requestId: `r${i}`,
          subscriberId: subscriberId(rng.int(0, Math.min(hotSubscribers, opts.subscribers) - 1)),
          trafficClass: rng.weighted({ voice: 1, video: 1, data: 1 }),
          protocol: pickProtocol(rng, opts.protocol),
          cells: shuffled.slice(0, count),
        },
      };
    }
  },
};
