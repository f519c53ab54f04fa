// The internal HTTP contract, defined once: the enums, limits, id formats and bodies that the gateway, the
// session manager and the participants exchange, and that the workloads generate. Each receiver validates against
// these (edge-gateway/validation.ts, session-manager/routes.ts, participant/contract.ts), so a limit changed here
// changes at every layer. This file imports nothing: the workloads may import it without pulling in the system.

/** Traffic classes, highest priority first (the scheduler serves them in this order). */
export const trafficClasses = ['voice', 'video', 'data'] as const;
export type TrafficClass = (typeof trafficClasses)[number];
export const protocols = ['2pc', '3pc'] as const;
export type Protocol = (typeof protocols)[number];
export type Decision = 'commit' | 'abort';
/**
 * What a transaction does to its session (3GPP's PDU session establishment, modification and release): `create`
 * holds credit and reserves channels; `modify` moves them to a new traffic class and/or cells; `release` returns
 * the channels and charges the held credit.
 */
export const txnKinds = ['create', 'modify', 'release'] as const;
export type TxnKind = (typeof txnKinds)[number];
/** What the leader sends a participant after the votes (`precommit`: 3PC only). */
export type Phase2 = 'precommit' | 'commit' | 'abort';

export function isTrafficClass(v: unknown): v is TrafficClass {
  return (trafficClasses as readonly unknown[]).includes(v);
}

export function isTxnKind(v: unknown): v is TxnKind {
  return (txnKinds as readonly unknown[]).includes(v);
}

export function isProtocol(v: unknown): v is Protocol {
  return (protocols as readonly unknown[]).includes(v);
}

// Limits. The gateway documents the cells limit (docs/api.md); the session manager and the participants refuse
// more with a 400 as well, so a request the gateway lets through is never refused further in.
/** Cells one session may name (each is locked, in the order given). */
export const cellsPerRequestMax = 8;
/** Request bodies, at every service (a channel line may be about twice this: common/http-server.ts). */
export const bodyMaxBytes = 64 * 1024;
/** Txn and session ids at the participants: they end up inside a PREPARE TRANSACTION literal (gid). */
export const idLengthMax = 128;
/** Subscriber and cell ids at the participants. */
export const resourceIdLengthMax = 64;
/** Credit held by one session. */
export const amountMax = 1_000_000_000_000;
/** The highest cell number (`cell-999999`). */
export const cellNumberMax = 999_999;

// Id formats.
/** Canonical subscriber ids, as the gateway normalises them. */
export const subscriberIdPattern = /^imsi-\d{15}$/;
/** Canonical cell ids, as the gateway normalises them (1 to `cellNumberMax`). */
export const cellIdPattern = /^cell-\d{1,6}$/;
/** Session ids, as the session manager makes them (`ses-` and a UUID). */
export const sessionIdPattern = /^ses-[0-9a-f-]{36}$/;
/** `If-Match` naming one revision: a strong entity tag, `"<revision>"` (the gateway's `ETag`); group 1 the number. */
export const revisionTagPattern = /^"(\d{1,15})"$/;
/** Ids a participant accepts: characters that need no quoting in a gid. */
export const internalIdPattern = /^[A-Za-z0-9._:-]+$/;

/** `POST /v1/sessions`, as the gateway forwards it after normalising (and as the workloads generate it). */
export interface CreateSessionRequest {
  subscriberId: string;
  trafficClass: TrafficClass;
  protocol: Protocol;
  /** Absent: the subscriber's home cell. */
  cells?: string[];
}

/** `PATCH /v1/sessions/:sessionId`: at least one field; what is absent stays as it is. */
export interface ModifySessionRequest {
  trafficClass?: TrafficClass;
  cells?: string[];
}

/**
 * The session's revision: 0 until its creation commits, then one more for each committed modify or release. The
 * gateway's `ETag` is `"<revision>"`. The DSM record's own version counts every write (a transaction writes the
 * record two to four times), so it cannot serve clients: a reader would see versions no client op produced.
 */
export type Revision = number;

/**
 * The answer to `POST /v1/sessions` (201 when committed), `PATCH` and `DELETE /v1/sessions/:id` (200 when
 * committed); 409 (with `code: aborted`) when aborted.
 */
export interface SessionOutcome {
  sessionId: string;
  txnId: string;
  outcome: 'committed' | 'aborted';
  reason?: string;
  protocol: Protocol;
  kind: TxnKind;
  /** The session's revision after the transaction: the new one when committed, the standing one when aborted. */
  revision: Revision;
  /** Milliseconds: in the scheduler's queue, in all, preparing, and (3PC) pre-committing. */
  timings: { queueMs?: number; totalMs: number; prepareMs?: number; precommitMs?: number };
}

/** The session manager's answer to `GET /v1/txn/:txnId/decision`, under the leader's token (which an undecided
 * answer need not carry: nothing is done with it). */
export type DecisionReply = { decision: Decision; token: number } | { decision: 'undecided'; token?: number };

/** What a session holds at the participants: one channel on each cell, and credit on the subscriber's account. */
export interface Holding {
  cells: string[];
  amount: number;
}

/**
 * `POST /v1/txn/:txnId/prepare` at a participant. `cells` and `amount` are what the session is to hold after the
 * transaction (`release`: nothing, `[]` and 0); `release` what it held before (`modify`, `release`; absent for
 * `create`), which the prepare gives back in the same prepared transaction.
 */
export interface PrepareRequest {
  token: number;
  sessionId: string;
  protocol: Protocol;
  subscriberId: string;
  kind: TxnKind;
  cells: string[];
  amount: number;
  release?: Holding;
}

/** `POST /v1/txn/:txnId/{precommit,commit,abort,cancel}` at a participant. */
export interface TokenBody {
  token: number;
}

export type TxnState = 'unknown' | 'prepared' | 'precommitted' | 'committed' | 'aborted';
export type VoteNoReason =
  | 'no_capacity'
  | 'unknown_cell'
  | 'no_credit'
  | 'unknown_subscriber'
  /** modify, release: the session's holding is not there to give back (a cell or an account holds less). */
  | 'nothing_held'
  | 'lock_timeout'
  | 'deadlock'
  | 'tombstoned'
  | 'injected'
  /** The leader's deadlock detector chose this transaction to break a wait-for cycle. */
  | 'deadlock_victim';

export type VoteReply = { vote: 'yes' } | { vote: 'no'; reason: VoteNoReason };
/** The answer to a phase-2 request. */
export interface StateReply {
  state: TxnState;
}
/** The answer to `GET /v1/txn/:txnId`. */
export interface TxnStatus {
  txnId: string;
  state: TxnState;
  /** The token recorded with the txn's durable state; null while only prepared (that record is inside the
   * prepared transaction, invisible until it commits) or unknown. */
  token: number | null;
}
