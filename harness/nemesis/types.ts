// A nemesis injects one kind of fault (Jepsen's nemesis, DESIGN section 3): start it, and it returns exactly what
// it did (recorded in the history as a nemesis op); heal undoes it and returns what that did.
import type { Rng } from '../../lib/rng.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { Environment } from '../env/types.ts';
import type { Network } from './links.ts';

export interface NemesisContext {
  net: Network;
  cluster: Cluster;
  env: Environment;
  /** The current ready leader, asked directly (not through the fault proxies). */
  leader(): Promise<string | undefined>;
  /** PUT /admin/faults on a node, signed, directly. */
  setFaults(node: string, settings: Record<string, unknown>): Promise<void>;
  leaseTtlMs: number;
}

export interface Fault {
  /** What was done, for the history. */
  done: Record<string, unknown>;
  heal(): Promise<Record<string, unknown>>;
}

export interface Nemesis {
  name: string;
  summary: string;
  /** Variants the schedule picks among (e.g. which partition). */
  variants: readonly string[];
  /** The shortest fault window that makes sense (a pause must outlast the lease). */
  minWindowMs(leaseTtlMs: number): number;
  start(ctx: NemesisContext, variant: string, rng: Rng): Promise<Fault>;
}

export const noFault = (done: Record<string, unknown>): Fault => ({ done, heal: async () => ({}) });
