// What a correct system decides for one transaction of the simulation, given what earlier decisions used up: which
// session it acts on (a slot's current session), what it does to it, how each participant votes, and what the
// commit moves. A session is created, modified any number of times, then released; a slot whose session is not
// active (never created, its create aborted, or released) turns a modify or release into a create.

import type { TxnRecord } from '../../format/observations.ts';
import { documentedTariff } from '../asked-for.ts';

export interface TxnSpec {
  process: number;
  /** Session number within the process: a process runs one op at a time, so a session's transactions never overlap. */
  session: number;
  protocol: TxnRecord['protocol'];
  trafficClass: NonNullable<TxnRecord['trafficClass']>;
  rmYes: boolean;
  billingYes: boolean;
  /** answer: the client hears the outcome; timeout: info; rejected: 503 before any transaction starts. */
  client: 'answer' | 'timeout' | 'rejected';
  gapUs: number;
  durationUs: number;
  cell: number;
  account: number;
  /** A new leader takes over just before this transaction's decision. */
  leaderChange: boolean;
  /** This transaction is a deadlock victim (found by the detector and aborted). */
  deadlock: boolean;
  /** The client reads the credit and channel totals afterwards. */
  readTotals: boolean;
  /**
   * What it asks of its session slot (absent: create). A modify or release on a slot without an active session
   * creates one instead; a create on a slot with one moves on to a new session (simulate-decide.ts).
   */
  action?: 'create' | 'modify' | 'release';
  /** A modify's request: `class` names only the new class (`trafficClass`), `cells` only the new cell, `both` both. */
  change?: 'class' | 'cells' | 'both';
}

export interface World {
  cells: number;
  capacity: number;
  accounts: number;
  balance: number;
}

export type Action = 'create' | 'modify' | 'release';

/** A process's session slot: the session it works on now. */
export interface Slot {
  sessionId: string;
  /** Sessions released in this slot so far: the next create gets a fresh id. */
  released: number;
  active: boolean;
  account: number;
  trafficClass: TxnSpec['trafficClass'];
  cell: number;
  revision: number;
}

export interface SimState {
  used: number[];
  spent: number[];
  charged: number[];
  versions: Map<string, number>;
  seqs: Map<string, number>;
  slots: Map<string, Slot>;
}

export function initialState(world: World): SimState {
  return {
    used: new Array<number>(world.cells).fill(0),
    spent: new Array<number>(world.accounts).fill(0),
    charged: new Array<number>(world.accounts).fill(0),
    versions: new Map(),
    seqs: new Map(),
    slots: new Map(),
  };
}

/** What the session holds: a class, one channel on one cell, credit on one account. */
export interface Held {
  trafficClass: TxnSpec['trafficClass'];
  cell: number;
  account: number;
}

/** What a transaction does and what its participants decide. */
export interface Decision {
  action: Action;
  sessionId: string;
  /** The session's holding after the txn if it commits (a release: what it held, for the log's class). */
  after: Held;
  /** modify, release: what the session held before. */
  before: Held | undefined;
  rmYes: boolean;
  billingYes: boolean;
  committed: boolean;
  outcome: 'committed' | 'aborted';
  reason: string | undefined;
  /** The session's revision after the txn. */
  revision: number;
}

export const amountOf = (trafficClass: string) => documentedTariff[trafficClass]!;

/**
 * Which session the spec acts on and what it does to it, before any vote. It changes nothing (a rejected request
 * changes nothing, and is resolved out of its process's order), except to open the slot on its first use.
 */
export function resolve(spec: TxnSpec, state: SimState): { action: Action; slot: Slot; sessionId: string } {
  const key = `${spec.process}-${spec.session}`;
  let slot = state.slots.get(key);
  if (!slot) {
    const held = { trafficClass: spec.trafficClass, cell: 0, account: 0 };
    slot = { sessionId: `s${key}`, released: 0, active: false, ...held, revision: 0 };
    state.slots.set(key, slot);
  }
  const wanted = spec.action ?? 'create';
  const action: Action = slot.active && wanted !== 'create' ? wanted : 'create';
  // A create while the slot's session is active moves the process on to a new session, leaving that one be.
  const gone = slot.released + (action === 'create' && slot.active ? 1 : 0);
  const sessionId = action !== 'create' ? slot.sessionId : gone === 0 ? `s${key}` : `s${key}.${gone}`;
  return { action, slot, sessionId };
}

/** A create takes the slot over for its session (which exists, aborted or not, from now on). */
function begin(slot: Slot, sessionId: string, spec: TxnSpec, world: World): void {
  if (slot.active) slot.released++;
  Object.assign(slot, { sessionId, active: false, account: spec.account % world.accounts, revision: 0 });
}

function abortReason(spec: TxnSpec, rmYes: boolean): string {
  if (spec.deadlock) return 'deadlock';
  if (!rmYes) return spec.rmYes ? 'no-capacity' : 'rm-voted-no';
  return spec.billingYes ? 'insufficient-credit' : 'billing-voted-no';
}

function target(spec: TxnSpec, world: World, action: Action, before: Held): Held {
  if (action === 'release') return before;
  const change = spec.change ?? 'both';
  const cell = spec.cell % world.cells;
  if (action === 'create') return { trafficClass: spec.trafficClass, cell, account: before.account };
  return {
    trafficClass: change === 'cells' ? before.trafficClass : spec.trafficClass,
    cell: change === 'class' ? before.cell : cell,
    account: before.account,
  };
}

/** Votes and, on commit, the moves: channels and credit given back by the same prepared transaction that takes. */
export function decide(
  spec: TxnSpec,
  world: World,
  state: SimState,
  { action, slot, sessionId: id }: { action: Action; slot: Slot; sessionId: string },
): Decision {
  if (action === 'create') begin(slot, id, spec, world);
  const held: Held = { trafficClass: slot.trafficClass, cell: slot.cell, account: slot.account };
  const before = action === 'create' ? undefined : held;
  const after = target(spec, world, action, held);
  const giveCell = before !== undefined && (action === 'release' || before.cell === after.cell) ? 1 : 0;
  const takeCell = action === 'release' ? 0 : 1;
  const give = before === undefined ? 0 : amountOf(before.trafficClass);
  const take = action === 'release' ? 0 : amountOf(after.trafficClass);
  const a = after.account;
  const rmYes = spec.rmYes && !spec.deadlock && state.used[after.cell]! - giveCell + takeCell <= world.capacity;
  const balance = world.balance - state.spent[a]! - state.charged[a]!;
  const billingYes = spec.billingYes && balance + give >= take;
  const committed = rmYes && billingYes;
  if (committed) {
    if (before) state.used[before.cell]!--;
    if (action !== 'release') state.used[after.cell]!++;
    state.spent[a]! += take - give;
    if (action === 'release') state.charged[a]! += give;
    Object.assign(slot, { trafficClass: after.trafficClass, cell: after.cell, active: action !== 'release' });
    slot.revision++; // 1 once created, one more per committed change (docs/api.md)
    if (action === 'release') slot.released++;
  }
  const reason = committed ? undefined : abortReason(spec, rmYes);
  const outcome = committed ? 'committed' : 'aborted';
  const { sessionId, revision } = slot;
  return { action, sessionId, after, before, rmYes, billingYes, committed, outcome, reason, revision };
}
