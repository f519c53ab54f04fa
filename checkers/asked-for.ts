// What the clients asked for, per transaction: each create-session request linked to the txn it became, and the
// charge and cells that request must have cost by the documented rules. Conservation compares these with what the
// participants committed; the rules are written here from the documentation, never imported from system/, so a
// wrong table or hash in the system cannot also be the checker's.
import { type HistoryOp, pairHistory, SESSION_F } from '../format/history.ts';
import type { Observations } from '../format/observations.ts';
import { isPlainObject } from '../format/schema.ts';

/**
 * The documented tariff (docs/api.md, "What a session costs"): credit held per session by traffic class. The
 * gateway's reply does not quote the amount, and needs not: the request alone decides it.
 */
export const documentedTariff: Readonly<Record<string, number>> = { voice: 5, video: 20, data: 10 };

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
function canonicalCell(raw: unknown): string | undefined {
  if (typeof raw === 'number') return `cell-${raw}`;
  if (typeof raw !== 'string') return undefined;
  const m = /^(?:cell-)?0*(\d+)$/i.exec(raw.trim());
  return m ? `cell-${m[1]}` : raw;
}

/** One client request linked to its transaction, with what it must have cost. */
export interface AskedFor {
  /** The history indices of its invocation and, if it completed, its completion. */
  ops: number[];
  subscriberId: string;
  trafficClass: string;
  /** Absent when the traffic class is not one the tariff names (such a request cannot have committed). */
  amount?: number;
  /** Absent when they cannot be derived (no cells named and no initial cell snapshot to place the home cell). */
  cells?: string[];
  /** The cells are the subscriber's home cell (the request named none). */
  homeCell: boolean;
}

function askedFor(value: Record<string, unknown>, ops: number[], cellsSeeded: number): AskedFor | undefined {
  if (typeof value.subscriberId !== 'string') return undefined;
  const trafficClass = String(value.trafficClass);
  const asked: AskedFor = { ops, subscriberId: value.subscriberId, trafficClass, homeCell: false };
  const amount = Object.hasOwn(documentedTariff, trafficClass) ? documentedTariff[trafficClass] : undefined;
  if (amount !== undefined) asked.amount = amount;
  if (Array.isArray(value.cells)) {
    const cells = value.cells.map(canonicalCell);
    if (cells.every((c) => c !== undefined)) asked.cells = cells as string[];
  } else if (value.cells === undefined && cellsSeeded > 0) {
    asked.cells = [documentedHomeCell(value.subscriberId, cellsSeeded)];
    asked.homeCell = true;
  }
  return asked;
}

/**
 * txn id -> what its client asked for. A request is linked to its txn by the ok reply's txnId (the client saw it
 * commit), or else by the coordinator's row naming its request id (a fail or info whose txn may still have
 * committed).
 */
export function requestsByTxn(history: readonly HistoryOp[], obs: Observations): Map<string, AskedFor> {
  const cellsSeeded = obs.cell.filter((c) => c.phase === 'initial').length;
  const txnOfRequest = new Map<string, string>();
  for (const t of obs.txn) if (t.requestId !== undefined) txnOfRequest.set(t.requestId, t.txnId);
  const pairs = pairHistory(history);
  const out = new Map<string, AskedFor>();
  for (const op of history) {
    if (op.type !== 'invoke' || op.f !== SESSION_F.create || !isPlainObject(op.value)) continue;
    const done = pairs.completion[op.index]!;
    const completion = done >= 0 ? history[done] : undefined;
    const okTxn = completion?.type === 'ok' && isPlainObject(completion.value) ? completion.value.txnId : undefined;
    const requestId = op.value.requestId;
    const txnId =
      typeof okTxn === 'string' ? okTxn : typeof requestId === 'string' ? txnOfRequest.get(requestId) : undefined;
    if (txnId === undefined) continue;
    const asked = askedFor(op.value, done >= 0 ? [op.index, done] : [op.index], cellsSeeded);
    if (asked) out.set(txnId, asked);
  }
  return out;
}
