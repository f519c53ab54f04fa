// The committed sessions, judged from two sides that share no code with the system. First, per transaction: what
// its client asked for (the history's request, priced and placed by the documented rules, requests.ts) against what
// the participants committed for it (their own records of the charge held and the cells reserved). Second, per
// account and cell: what the snapshots say moved during the run (final minus initial) against the sum of the
// committed charges and reservations. A participant that records one thing and does another passes the first and
// fails the second; a coordinator that asks for the wrong thing passes the second and fails the first.
import type { HistoryOp } from '../format/history.ts';
import type { Observations, ParticipantRecord } from '../format/observations.ts';
import { type AskedFor, requestsByTxn } from './asked-for.ts';
import { indexBy } from './collections.ts';
import type { AnomalyLog } from './result.ts';

type Charge = ParticipantRecord & { accountId: string; amount: number };
const isCharge = (p: ParticipantRecord): p is Charge => p.accountId !== undefined && p.amount !== undefined;
const sameCells = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
const list = (cells: readonly string[]) => `[${cells.join(', ')}]`;

function compareCharge(p: Charge, asked: AskedFor, out: AnomalyLog): boolean {
  if (asked.amount === undefined) return false;
  if (p.amount !== asked.amount || p.accountId !== asked.subscriberId) {
    out.add(
      'charge-mismatch',
      p.txnId,
      asked.ops,
      `${p.participant} charged ${p.amount} to ${p.accountId} for txn ${p.txnId}; the request's tariff ` +
        `(${asked.trafficClass}) says ${asked.amount} to ${asked.subscriberId}`,
      { charged: p.amount, account: p.accountId, tariff: asked.amount, subscriberId: asked.subscriberId },
    );
  }
  return true;
}

function compareCells(p: ParticipantRecord & { cells: string[] }, asked: AskedFor, out: AnomalyLog): boolean {
  if (asked.cells === undefined) return false;
  if (!sameCells(p.cells, asked.cells)) {
    const named = asked.homeCell
      ? `the subscriber's home cell is ${list(asked.cells)}`
      : `the request named ${list(asked.cells)}`;
    out.add(
      'reservation-mismatch',
      p.txnId,
      asked.ops,
      `${p.participant} reserved cells ${list(p.cells)} for txn ${p.txnId}; ${named}`,
      { reserved: p.cells, requested: asked.cells },
    );
  }
  return true;
}

/** Each committed charge and reservation against the request that asked for it; counts those compared. */
export function compareCommitted(history: readonly HistoryOp[], obs: Observations, out: AnomalyLog) {
  const asked = requestsByTxn(history, obs);
  let charges = 0;
  let reservations = 0;
  for (const p of obs.participant) {
    const request = p.state === 'committed' ? asked.get(p.txnId) : undefined;
    if (!request) continue;
    if (isCharge(p) && compareCharge(p, request, out)) charges++;
    if (p.cells !== undefined && compareCells({ ...p, cells: p.cells }, request, out)) reservations++;
  }
  return { charges, reservations };
}

/** What moved on each key (final minus initial) against what the commits say moved; both maps by key. */
function compareTotals(
  what: { unit: string; moved: string; committed: string },
  moved: ReadonlyMap<string, number>,
  committed: ReadonlyMap<string, number>,
  out: AnomalyLog,
): void {
  for (const id of new Set([...moved.keys(), ...committed.keys()])) {
    const m = moved.get(id) ?? 0;
    const c = committed.get(id) ?? 0;
    if (m === c) continue;
    out.add(
      m > c ? 'spent-not-committed' : 'committed-not-spent',
      id,
      [],
      `${m} ${what.unit} ${what.moved} during the run; committed ${what.committed} total ${c}`,
      { moved: m, committed: c },
    );
  }
}

function movedBy<T>(records: readonly T[], key: (r: T) => string, phase: (r: T) => string, value: (r: T) => number) {
  const initial = indexBy(
    records.filter((r) => phase(r) === 'initial'),
    key,
  );
  const moved = new Map<string, number>();
  for (const r of records) {
    if (phase(r) !== 'final') continue;
    const before = initial.get(key(r));
    moved.set(key(r), value(r) - (before ? value(before) : 0));
  }
  return moved;
}

/**
 * Spent credit and used channels against the committed charges and reservations. Judged only when the participants'
 * records are evidence of every commit: some exist, and each committed one carries its charge or its cells (runs
 * stored before the records carried them have none, and are not judged).
 */
export function compareMoved(obs: Observations, out: AnomalyLog) {
  const committed = obs.participant.filter((p) => p.state === 'committed');
  const unrecorded = committed.filter((p) => !isCharge(p) && p.cells === undefined).length;
  if (obs.participant.length === 0 || unrecorded > 0) {
    return { committedCharges: 0, committedReservations: 0, unrecordedCommits: unrecorded };
  }
  const charged = new Map<string, number>();
  const reserved = new Map<string, number>();
  let committedCharges = 0;
  let committedReservations = 0;
  for (const p of committed) {
    if (isCharge(p)) {
      charged.set(p.accountId, (charged.get(p.accountId) ?? 0) + p.amount);
      committedCharges++;
    }
    for (const cell of p.cells ?? []) reserved.set(cell, (reserved.get(cell) ?? 0) + 1);
    if (p.cells !== undefined) committedReservations++;
  }
  if (obs.account.some((a) => a.phase === 'final')) {
    const spent = movedBy(
      obs.account,
      (a) => a.accountId,
      (a) => a.phase,
      (a) => a.spent,
    );
    compareTotals({ unit: 'credit', moved: 'spent', committed: 'charges' }, spent, charged, out);
  }
  if (obs.cell.some((c) => c.phase === 'final')) {
    const used = movedBy(
      obs.cell,
      (c) => String(c.cellId),
      (c) => c.phase,
      (c) => c.used,
    );
    compareTotals({ unit: 'channels', moved: 'used', committed: 'reservations' }, used, reserved, out);
  }
  return { committedCharges, committedReservations, unrecordedCommits: 0 };
}
