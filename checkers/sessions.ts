// The session workload's op values, read leniently (a checker must not crash on a field it does not need), and the
// link from client ops to the transactions the servers logged.
//
// create-session  invoke {requestId, subscriberId, trafficClass, protocol, cells?}
//                 ok     {sessionId, txnId, outcome: "committed"}                (201)
//                 fail   {sessionId?, txnId?, outcome?: "aborted", reason?, status} (409 aborted; any other 4xx
//                        (400, 415, 422 idempotency_key_reused) or 503: not done)
//                 info   {status?} with error, e.g. "timeout"                    (504 or no answer: unknown)
// read-session    invoke {sessionId}
//                 ok     {sessionId, revision, status, trafficClass, cells, txnId}  (200)
//                 fail   {status, reason}                                          (404, 400, 503)
// modify-session  invoke {requestId, sessionId, ifMatch?, trafficClass?, cells?}   (ifMatch absent: unconditional)
// release-session invoke {requestId, sessionId, ifMatch?}
//                 ok     {sessionId, txnId, outcome: "committed", kind, revision}  (200: the new revision)
//                 fail   {status, code, sessionId?, txnId?, outcome?, reason?, revision?} (409 aborted or not_active,
//                        412 with the current revision, 404, 400, 415, 422, 503: nothing changed)
//                 info   {status?} with error                                     (504 or no answer: unknown)
// read-totals     ok     {credit, channels}                                       (conservation workload)
import { type HistoryOp, pairHistory, SESSION_F } from '../format/history.ts';
import type { Observations } from '../format/observations.ts';
import { isPlainObject } from '../format/schema.ts';

export interface SessionRequest {
  requestId?: string;
  /** modify, release: the session changed. */
  sessionId?: string;
  /** modify, release: the revision `If-Match` named (absent: unconditional). */
  ifMatch?: number;
  subscriberId?: string;
  trafficClass?: string;
  protocol?: string;
  cells?: string[];
}

export interface SessionResult {
  sessionId?: string;
  txnId?: string;
  outcome?: string;
  reason?: string;
  status?: number;
  /** The gateway's error code (`not_active`, `precondition_failed`, ...). */
  code?: string;
  /** The session's revision after the op (a 412: the current one). */
  revision?: number;
}

function field<T>(value: unknown, name: string, type: 'string' | 'number'): T | undefined {
  if (!isPlainObject(value)) return undefined;
  const v = value[name];
  return typeof v === type ? (v as T) : undefined;
}

export function sessionRequest(value: unknown): SessionRequest {
  const cells = isPlainObject(value) && Array.isArray(value.cells) ? value.cells.map(String) : undefined;
  const out: SessionRequest = {};
  for (const name of ['requestId', 'subscriberId', 'trafficClass', 'protocol'] as const) {
    const v = field<string>(value, name, 'string');
    if (v !== undefined) out[name] = v;
  }
  if (cells) out.cells = cells;
  const sessionId = field<string>(value, 'sessionId', 'string');
  if (sessionId !== undefined) out.sessionId = sessionId;
  const ifMatch = field<number>(value, 'ifMatch', 'number');
  if (ifMatch !== undefined) out.ifMatch = ifMatch;
  return out;
}

export function sessionResult(value: unknown): SessionResult {
  const out: SessionResult = {};
  for (const name of ['sessionId', 'txnId', 'outcome', 'reason', 'code'] as const) {
    const v = field<string>(value, name, 'string');
    if (v !== undefined) out[name] = v;
  }
  for (const name of ['status', 'revision'] as const) {
    const v = field<number>(value, name, 'number');
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** The client ops that each become one transaction. */
export const TXN_F: ReadonlySet<string> = new Set([SESSION_F.create, SESSION_F.modify, SESSION_F.release]);

/** One client op that becomes a transaction: its invocation, its completion (-1 if none) and how it ended. */
export interface ClientOp {
  f: string;
  invoke: number;
  completion: number;
  type: 'ok' | 'fail' | 'info' | 'open';
}

/** The op indices to cite for a client op. */
export function opIndices(op: ClientOp): number[] {
  return op.completion < 0 ? [op.invoke] : [op.invoke, op.completion];
}

/** Every client op that becomes a transaction (create, modify, release: `fs`), in invocation order. */
export function txnOps(history: readonly HistoryOp[], fs: ReadonlySet<string> = TXN_F): ClientOp[] {
  const pairs = pairHistory(history);
  const out: ClientOp[] = [];
  for (const op of history) {
    if (op.type !== 'invoke' || !fs.has(op.f)) continue;
    // Stryker disable next-line UnaryOperator: pairHistory holds -1 for every open op, so this `?? -1` is never read
    const c = pairs.completion[op.index] ?? -1;
    const type = c < 0 ? 'open' : (history[c]!.type as ClientOp['type']);
    out.push({ f: op.f, invoke: op.index, completion: c, type });
  }
  return out;
}

const CREATE_F: ReadonlySet<string> = new Set([SESSION_F.create]);

/** Every create-session op, in invocation order. */
export function createSessionOps(history: readonly HistoryOp[]): ClientOp[] {
  return txnOps(history, CREATE_F);
}

export interface ClientLinks {
  byTxn: Map<string, ClientOp[]>;
  unlinked: ClientOp[];
}

// Several checkers link the same run; linking is linear but not free at a million ops, so it is done once per pair.
const linkCache = new WeakMap<readonly HistoryOp[], WeakMap<Observations, ClientLinks>>();

/**
 * Links client ops to txn ids: by the txnId the server answered with, else by the client's requestId matched
 * against the transaction log. Ops that cannot be linked (e.g. a timeout with no requestId) are `unlinked`.
 */
export function linkClientOps(history: readonly HistoryOp[], observations: Observations): ClientLinks {
  const cached = linkCache.get(history)?.get(observations);
  if (cached) return cached;
  const links: ClientLinks = { byTxn: new Map(), unlinked: [] };
  const link = (op: ClientOp, txnId: string | undefined) => {
    if (txnId === undefined) {
      links.unlinked.push(op);
      return;
    }
    const list = links.byTxn.get(txnId);
    if (list) list.push(op);
    else links.byTxn.set(txnId, [op]);
  };
  // Most ops carry their txn id; only the rest need the log's request ids, so only theirs are looked up.
  const byRequest = new Map<string, ClientOp[]>();
  for (const op of txnOps(history)) {
    const answered = op.completion < 0 ? undefined : field<string>(history[op.completion]!.value, 'txnId', 'string');
    const requestId =
      answered === undefined ? field<string>(history[op.invoke]!.value, 'requestId', 'string') : undefined;
    if (answered !== undefined || requestId === undefined) link(op, answered);
    else byRequest.set(requestId, [...(byRequest.get(requestId) ?? []), op]);
  }
  if (byRequest.size > 0) {
    for (const t of observations.txn) {
      if (t.requestId === undefined) continue;
      for (const op of byRequest.get(t.requestId) ?? []) link(op, t.txnId);
      byRequest.delete(t.requestId);
    }
    for (const ops of byRequest.values()) for (const op of ops) link(op, undefined);
    for (const list of links.byTxn.values()) if (list.length > 1) list.sort((a, b) => a.invoke - b.invoke);
  }
  const perHistory = linkCache.get(history) ?? new WeakMap<Observations, ClientLinks>();
  perHistory.set(observations, links);
  linkCache.set(history, perHistory);
  return links;
}
