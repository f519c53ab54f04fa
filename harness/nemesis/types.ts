// A nemesis injects one kind of fault (Jepsen's nemesis, DESIGN section 3): start it, and it returns exactly what
// it did (recorded in the history as a nemesis op); heal undoes it and returns what that did.
import type { Rng } from '../../lib/rng.ts';
import type { HealSteps } from './heal.ts';
import type { Direction, ToxicSpec } from './links.ts';

/** The fault network: one Toxiproxy-like proxy per link `<from>-><to>` (links.ts; a simulation has its own). */
export interface NemesisNetwork {
  readonly links: string[];
  /** Links whose name matches: from and/or to (e.g. every link of sm-2, in either direction). */
  linksOf(node: string): string[];
  /** Adds a toxic on each named link and direction; returns the toxic names, for the history. */
  addToxic(links: string[], spec: ToxicSpec, directions?: Direction[]): Promise<string[]>;
  /** Drops data both ways (or one way) on the links: a partition. */
  cut(links: string[], directions?: Direction[]): Promise<string[]>;
  /** Removes every toxic added, each failure kept in `steps`; returns the links it removed toxics from. */
  heal(steps: HealSteps): Promise<string[]>;
}

/** The processes a nemesis acts on: real ones with signals, or simulated nodes. */
export interface NemesisCluster {
  /** The session managers. */
  readonly nodes: readonly string[];
  kill(node: string): Promise<void>;
  restart(node: string): Promise<void>;
  /** SIGSTOP; throws when the process has exited. */
  pause(node: string): void;
  /** SIGCONT; throws when the process has exited. */
  resume(node: string): void;
}

export interface NemesisContext {
  net: NemesisNetwork;
  cluster: NemesisCluster;
  /** Restarts Redis in place (its data kept); absent where the environment cannot, with `cannotRestartRedis` why. */
  restartRedis?: () => Promise<void>;
  cannotRestartRedis?: string;
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
