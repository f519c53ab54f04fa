// A workload is a seeded, lazy generator of client operations (DESIGN section 4). Same seed, same sequence.
// Requests follow the system's one contract (the only file of system/ a workload may import).

import type { ProtocolChoice } from '../format/config.ts';
import type { Rng } from '../lib/rng.ts';
import type { CreateSessionRequest, Protocol } from '../system/common/contract.ts';

export type { ProtocolChoice };

export interface CreateSessionOp {
  f: 'create-session';
  value: CreateSessionRequest & { requestId: string };
}

export type OpSpec = CreateSessionOp;

export interface WorkloadOptions {
  protocol: ProtocolChoice;
  /** Subscribers and cells the system was seeded with. */
  subscribers: number;
  cells: number;
}

export interface Workload {
  name: string;
  summary: string;
  /** Settings the system under test needs for this workload (e.g. small balances), passed to every service. */
  systemEnv?: Readonly<Record<string, string>>;
  /** Nemeses used when `--nemesis` is not given. */
  defaultNemesis?: string;
  /** An endless stream of ops; the run takes as many as it needs. */
  ops(rng: Rng, opts: WorkloadOptions): Generator<OpSpec, never>;
}

export function subscriberId(index: number): string {
  return `imsi-00101${String(index).padStart(10, '0')}`;
}

export function pickProtocol(rng: Rng, choice: ProtocolChoice): Protocol {
  if (choice === 'mixed') return rng.chance(0.5) ? '2pc' : '3pc';
  return choice;
}
