// What the clients asked for, per transaction: each create-session, modify-session and release-session request
// linked to the txn it became, and what the session must hold at the participants once that txn commits, by the
// documented rules. Conservation compares these with what the participants committed; the rules are written here
// from the documentation, never imported from system/, so a wrong table or hash in the system cannot also be the
// checker's.
//
// A modify names only what changes (docs/api.md, PATCH): the rest, and what a modify or release gives back, is what
// the session held before, which is its create request and the committed changes since, walked in the order the
// session's transactions ran (txn-order.ts). Where a committed step has no linked request (a timeout without a
// request id), its own participant records and log row stand in for it: from there on the session is judged against
// the system's own word, and `held.by` names the txn whose outcome was taken.
import type { HistoryOp } from '../format/history.ts';
import type { Observations, ParticipantRecord, TxnRecord } from '../format/observations.ts';
import { groupBy, indexBy } from './collections.ts';
import {
  type ClientOp,
  linkClientOps,
  opIndices,
  type SessionRequest,
  sessionRequest,
  sessionResult,
} from './sessions.ts';
import { dsmRanks, runOrder } from './txn-order.ts';

/**
 * The documented tariff (docs/api.md, "What a session costs"): credit held per session by traffic class. The
 * gateway's reply does not quote the amount, and needs not: the request alone decides it.
 */
export const documentedTariff: Readonly<Record<string, number>> = { voice: 5, video: 20, data: 10 };

const tariffOf = (trafficClass: string | undefined) =>
  trafficClass !== undefined && Object.hasOwn(documentedTariff, trafficClass)
    ? documentedTariff[trafficClass]
    : undefined;

/**
 * The documented home cell (docs/api.md): a request without cells is placed on the subscriber's home cell, the
 * 32-bit FNV-1a hash of the canonical subscriber id onto cell-1..cell-N, N the cells seeded. No request carries N;
 * the initial cell snapshot does (rm seeds cell-1..cell-N).
 */
export function documentedHomeCell(subscriberId: string, cellsSeeded: number): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < subscriberId.length; i++) {
    hash = Math.imul(hash ^ subscriberId.charCodeAt(i), 0x01000193) >>> 0;
  }
  return `cell-${(hash % cellsSeeded) + 1}`;
}

/** A cell as the gateway normalises it (docs/api.md): `N` or `cell-N` is `cell-N`; anything else as given. */
function canonicalCell(raw: string): string {
  const m = /^(?:cell-)?0*(\d+)$/i.exec(raw.trim());
  return m ? `cell-${m[1]}` : raw;
}

export type Action = 'create' | 'modify' | 'release';

const actionOfF: Readonly<Record<string, Action>> = {
  'create-session': 'create',
  'modify-session': 'modify',
  'release-session': 'release',
};

/** What a session holds at the participants after a transaction: credit at a class's price, a channel per cell. */
export interface Holding {
  trafficClass?: string;
  /** Absent when unknown (a class the tariff does not name, or no source says). */
  amount?: number;
  cells?: string[];
}

/** One client request linked to its transaction, with what the session must hold once it commits. */
export interface AskedFor {
  /** The history indices of the invocations and completions linked to the txn. */
  ops: number[];
  action: Action;
  sessionId?: string;
  /** The session's subscriber (its create request's; absent when unknown): billing holds on this account. */
  subscriberId?: string;
  /** The class the session has after the txn (a release: the class it had). */
  trafficClass?: string;
  /** The credit held after the txn (a release: 0); absent when the tariff cannot say. */
  amount?: number;
  /** The cells held after the txn (a release: none); absent when they cannot be derived. */
  cells?: string[];
  /** The cells are the subscriber's home cell (a create that named none). */
  homeCell: boolean;
  /** modify, release: what the session held before, which the txn gives back; `by` the txn that left it so. */
  held?: Holding & { by: string };
}

/** What is known of one transaction of a session: its log row, its request, its records. */
interface Step {
  txnId: string;
  sessionId: string | undefined;
  log: TxnRecord | undefined;
  clients: ClientOp[];
  request: SessionRequest | undefined;
  action: Action;
  committed: boolean;
  /** When it ran, for sessions whose DSM writes do not order every txn: the log's decision time, else the client's. */
  time: number;
}

interface Sources {
  history: readonly HistoryOp[];
  log: ReadonlyMap<string, TxnRecord>;
  records: ReadonlyMap<string, ParticipantRecord[]>;
  cellsSeeded: number;
}

const committedRecord = (s: Sources, txnId: string, has: (p: ParticipantRecord) => boolean) =>
  s.records.get(txnId)?.find((p) => p.state === 'committed' && has(p));

function stepOf(txnId: string, clients: ClientOp[], s: Sources): Step {
  const log = s.log.get(txnId);
  const first = clients[0];
  const request = first ? sessionRequest(s.history[first.invoke]!.value) : undefined;
  const answered = clients.map((c) => (c.completion < 0 ? undefined : sessionResult(s.history[c.completion]!.value)));
  // Stryker disable next-line OptionalChaining: a step with no client op was made from its log row, so log is set
  const action = first ? (actionOfF[first.f] ?? 'create') : (log?.action ?? actionOfRecords(s, txnId) ?? 'create');
  // Without a log row, a participant's commit or the client's ok is the only word on the outcome.
  const committed = log
    ? log.state === 'committed'
    : committedRecord(s, txnId, () => true) !== undefined || clients.some((c) => c.type === 'ok');
  const sessionId = log?.sessionId ?? request?.sessionId ?? answered.find((a) => a?.sessionId)?.sessionId;
  const time = log?.decidedAt ?? log?.createdAt ?? (first ? s.history[first.invoke]!.time : 0);
  return { txnId, sessionId, log, clients, request, action, committed, time };
}

function actionOfRecords(s: Sources, txnId: string): Action | undefined {
  return s.records.get(txnId)?.find((p) => p.action !== undefined)?.action;
}

/** What a committed step left the session holding, by its own records and log row (it has no request). */
function heldByRecords(step: Step, s: Sources): Holding {
  const billing = committedRecord(s, step.txnId, (p) => p.amount !== undefined);
  const rm = committedRecord(s, step.txnId, (p) => p.cells !== undefined);
  const out: Holding = {};
  // Stryker disable next-line OptionalChaining: only steps with no client op come here, each made from its log row
  const trafficClass = step.log?.trafficClass;
  if (trafficClass !== undefined) out.trafficClass = trafficClass;
  const amount = billing?.amount ?? tariffOf(trafficClass);
  if (amount !== undefined) out.amount = amount;
  if (rm?.cells !== undefined) out.cells = rm.cells;
  return out;
}

/** What a request asks the session to hold after it, given what it held before (`before`, absent: unknown). */
function askedHolding(
  step: Step,
  request: SessionRequest,
  before: Holding | undefined,
  s: Sources,
): { holding: Holding; homeCell: boolean } {
  if (step.action === 'release') {
    return { holding: { trafficClass: before?.trafficClass, amount: 0, cells: [] }, homeCell: false };
  }
  const trafficClass = request.trafficClass ?? (step.action === 'modify' ? before?.trafficClass : undefined);
  let cells = request.cells?.map(canonicalCell);
  let homeCell = false;
  if (step.action === 'modify') cells ??= before?.cells;
  else if (cells === undefined && request.subscriberId !== undefined && s.cellsSeeded > 0) {
    cells = [documentedHomeCell(request.subscriberId, s.cellsSeeded)];
    homeCell = true;
  }
  return { holding: { trafficClass, amount: tariffOf(trafficClass), cells }, homeCell };
}

function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * Walks one session's steps in run order; fills `out` with what each linked request asked for. An `unplaced` step
 * (an aborted one the DSM does not order) changed nothing, and what the session held before it is not known.
 */
function walkSession(
  steps: readonly Step[],
  s: Sources,
  out: Map<string, AskedFor>,
  unplaced: ReadonlySet<Step> = new Set(),
): void {
  let held: (Holding & { by: string }) | undefined;
  let subscriberId: string | undefined;
  for (const step of steps) {
    const before = step.action === 'create' || unplaced.has(step) ? undefined : held;
    if (step.action === 'create') {
      subscriberId =
        step.request?.subscriberId ?? committedRecord(s, step.txnId, (p) => p.accountId !== undefined)?.accountId;
    }
    let after: Holding;
    if (step.request) {
      const { holding, homeCell } = askedHolding(step, step.request, before, s);
      after = holding;
      const ops = step.clients.flatMap(opIndices);
      const asked: AskedFor = { ops, action: step.action, homeCell, ...holding };
      out.set(step.txnId, defined({ ...asked, sessionId: step.sessionId, subscriberId, held: before }));
    } else {
      after = heldByRecords(step, s);
    }
    if (step.committed) held = { ...defined(after), by: step.txnId };
  }
}

/**
 * txn id -> what its client asked for. A request is linked to its txn by the txnId its answer carried, or else by
 * the coordinator's row naming its request id (a fail or info whose txn may still have committed); see
 * `linkClientOps`. Modify and release requests are priced against what their session held before them.
 */
export function requestsByTxn(history: readonly HistoryOp[], obs: Observations): Map<string, AskedFor> {
  const s: Sources = {
    history,
    log: indexBy(obs.txn, (t) => t.txnId),
    records: groupBy(obs.participant, (p) => p.txnId),
    cellsSeeded: obs.cell.filter((c) => c.phase === 'initial').length,
  };
  const { byTxn } = linkClientOps(history, obs);
  const steps = new Map<string, Step>();
  for (const [txnId, clients] of byTxn) steps.set(txnId, stepOf(txnId, clients, s));
  for (const t of obs.txn) if (!steps.has(t.txnId)) steps.set(t.txnId, stepOf(t.txnId, [], s));
  const ranks = dsmRanks(obs);
  const out = new Map<string, AskedFor>();
  const sessions = groupBy(
    [...steps.values()].filter((step) => step.sessionId !== undefined),
    (step) => step.sessionId!,
  );
  for (const list of sessions.values()) {
    // Only committed steps change what the session holds: they must be ordered; an aborted one may lack DSM writes.
    const { ordered, unplaced } = runOrder(
      list,
      (step) => step.txnId,
      ranks,
      (step) => step.time,
      (step) => step.committed,
    );
    walkSession(ordered, s, out, unplaced);
  }
  // A request whose session no source names cannot be walked; a create needs no history, so it is still judged.
  for (const step of steps.values()) {
    if (step.sessionId === undefined && step.request) walkSession([step], s, out);
  }
  return out;
}
