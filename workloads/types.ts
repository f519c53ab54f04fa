// A workload is a seeded, lazy generator of client operations (DESIGN section 4). Same seed, same sequence.
// Requests follow the system's one contract (the only file of system/ a workload may import).
//
// A workload cannot see results, so an op on an existing session names a *slot* of a small pool, never a session id:
// the driver keeps the pool (harness/run/pool.ts), resolves the slot to the session last created into it when the
// op is invoked, and records the resolved request in the history. An op on an empty slot becomes a create into it.

import type { ProtocolChoice } from '../format/config.ts';
import type { Rng } from '../lib/rng.ts';
import type { CreateSessionRequest, ModifySessionRequest, Protocol, TrafficClass } from '../system/common/contract.ts';

export type { ProtocolChoice };

export interface CreateSessionOp {
  f: 'create-session';
  value: CreateSessionRequest & { requestId: string };
  /** The pool slot its session fills once the create commits; absent: the session joins no slot. */
  slot?: number;
}

interface SlotOpFields {
  slot: number;
  /** The `Idempotency-Key` of a modify or release, and the request id of the create the op becomes on an empty slot. */
  requestId: string;
  /** What to create instead when the slot holds no session. */
  orCreate: CreateSessionRequest;
}

export interface ReadSessionOp extends SlotOpFields {
  f: 'read-session';
}

export interface ModifySessionOp extends SlotOpFields {
  f: 'modify-session';
  /** Send `If-Match` with the revision this client last saw (absent: an unconditional write). */
  conditional: boolean;
  change: ModifySessionRequest;
}

export interface ReleaseSessionOp extends SlotOpFields {
  f: 'release-session';
  conditional: boolean;
}

export type SlotOp = ReadSessionOp | ModifySessionOp | ReleaseSessionOp;
export type OpSpec = CreateSessionOp | SlotOp;

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
  /** Operations per second when `--rate` is not given (else the run's default, 50). */
  defaultRate?: number;
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

/** The request id an op carries, whatever its kind. */
export function requestIdOf(op: OpSpec): string {
  return op.f === 'create-session' ? op.value.requestId : op.requestId;
}

/**
 * Zipf-like rank in [0, n): rank k with probability proportional to 1/(k+1)^s, by inverse-CDF approximation.
 * Skewed picks: a few hot subscribers, cells or slots.
 */
export function zipf(rng: Rng, n: number, s = 1.1): number {
  // Continuous approximation of the generalized harmonic CDF over [1, n + 1), so floor(x) - 1 reaches every rank up
  // to n - 1; exact enough for load shaping.
  const u = rng.next();
  const hn = ((n + 1) ** (1 - s) - 1) / (1 - s);
  const k = Math.floor((u * hn * (1 - s) + 1) ** (1 / (1 - s)) - 1);
  return Math.min(n - 1, Math.max(0, k));
}

/** What a modify asks for: a new traffic class, new cells, or both (cells drawn with a skew, 1 or 2 of them). */
export function pickChange(rng: Rng, cells: number): ModifySessionRequest {
  const what = rng.weighted({ trafficClass: 2, cells: 1, both: 1 });
  const trafficClass: TrafficClass = rng.weighted({ voice: 1, video: 1, data: 1 });
  const picked = Array.from({ length: rng.int(1, 2) }, () => `cell-${zipf(rng, cells) + 1}`);
  const change: ModifySessionRequest = {};
  if (what !== 'cells') change.trafficClass = trafficClass;
  if (what !== 'trafficClass') change.cells = [...new Set(picked)];
  return change;
}

/** One op on the session in `slot`: the common fields, drawn in a fixed order so a seed fixes them all. */
export function slotOp(
  rng: Rng,
  f: SlotOp['f'],
  fields: SlotOpFields,
  conditionalShare: number,
  cells: number,
): SlotOp {
  if (f === 'read-session') return { f, ...fields };
  const conditional = rng.chance(conditionalShare);
  if (f === 'release-session') return { f, ...fields, conditional };
  return { f, ...fields, conditional, change: pickChange(rng, cells) };
}
