// The committed transactions, judged from two sides that share no code with the system. First, per transaction: what
// its client asked for (the history's request, priced and placed by the documented rules, asked-for.ts) against what
// the participants committed for it (their own records of the credit held and given back, the cells reserved and
// given back). Second, per account and cell: what the snapshots say moved during the run (final minus initial)
// against the sum of the committed creates, modifies and releases. A participant that records one thing and does
// another passes the first and fails the second; a coordinator that asks for the wrong thing passes the second and
// fails the first.
import type { HistoryOp } from '../format/history.ts';
import type { Observations, ParticipantRecord } from '../format/observations.ts';
import { type AskedFor, requestsByTxn } from './asked-for.ts';
import type { AnomalyLog } from './result.ts';

type Charge = ParticipantRecord & { accountId: string; amount: number };
/** billing's record: an account, and the amount held after the txn (a release's record may leave out its 0). */
function chargeOf(p: ParticipantRecord): Charge | undefined {
  if (p.accountId === undefined || (p.amount === undefined && p.releasedAmount === undefined)) return undefined;
  return { ...p, accountId: p.accountId, amount: p.amount ?? 0 };
}
/** rm's record: the cells held after the txn (a release's record may leave out its none). */
function cellsOf(p: ParticipantRecord): string[] | undefined {
  return p.cells ?? (p.releasedCells === undefined ? undefined : []);
}
const sameCells = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
const list = (cells: readonly string[]) => `[${cells.join(', ')}]`;

/** "txn t1", or "modify t2 of session s1": how an explanation names the transaction. */
function named(txnId: string, asked: AskedFor): string {
  if (asked.action === 'create') return `txn ${txnId}`;
  return `${asked.action} ${txnId}${asked.sessionId === undefined ? '' : ` of session ${asked.sessionId}`}`;
}

/** "5 (voice, after t1)": what the session held, and which txn left it so. */
function heldText(asked: AskedFor, what: string): string {
  // Stryker disable next-line OptionalChaining: only called once held is known (its amount or cells were compared)
  const cls = asked.held?.trafficClass === undefined ? '' : `${asked.held.trafficClass}, `;
  return `the session held ${what} (${cls}after ${asked.held!.by})`;
}

/** The credit the session holds after the txn, and on which account. Returns whether it was judged. */
function compareHold(p: Charge, asked: AskedFor, out: AnomalyLog): boolean {
  if (asked.amount === undefined) return false;
  const account = asked.subscriberId ?? p.accountId;
  if (p.amount === asked.amount && p.accountId === account) return true;
  // A create charges to an account; after a change, the session holds on it.
  const [verb, on] = asked.action === 'create' ? ['charged', 'to'] : ['holds', 'on'];
  const says =
    asked.action === 'release'
      ? `a released session holds nothing on ${account}`
      : `the request's tariff (${asked.trafficClass}) says ${asked.amount} ${on} ${account}`;
  out.add(
    'charge-mismatch',
    p.txnId,
    asked.ops,
    `${p.participant} ${verb} ${p.amount} ${on} ${p.accountId} for ${named(p.txnId, asked)}; ${says}`,
    { charged: p.amount, account: p.accountId, tariff: asked.amount, subscriberId: account },
  );
  return true;
}

/** The credit given back: what the session held before a modify or release, nothing for a create. */
function compareReleasedAmount(p: ParticipantRecord, asked: AskedFor, out: AnomalyLog): boolean {
  const expected = asked.action === 'create' ? 0 : asked.held?.amount;
  if (expected === undefined) return false;
  const given = p.releasedAmount ?? 0;
  if (given === expected && (asked.action === 'create' || p.releasedAmount !== undefined)) return true;
  const gave = p.releasedAmount === undefined ? 'recorded nothing given back' : `gave back ${given}`;
  const held = asked.action === 'create' ? 'a new session held nothing' : heldText(asked, String(expected));
  out.add('release-mismatch', p.txnId, asked.ops, `${p.participant} ${gave} for ${named(p.txnId, asked)}; ${held}`, {
    released: p.releasedAmount,
    held: expected,
  });
  return true;
}

function compareCells(p: ParticipantRecord & { cells: string[] }, asked: AskedFor, out: AnomalyLog): boolean {
  if (asked.cells === undefined) return false;
  if (!sameCells(p.cells, asked.cells)) {
    const says =
      asked.action === 'release'
        ? 'a released session holds none'
        : asked.homeCell
          ? `the subscriber's home cell is ${list(asked.cells)}`
          : asked.action === 'modify'
            ? `the request, with what it left as it was, says ${list(asked.cells)}`
            : `the request named ${list(asked.cells)}`;
    out.add(
      'reservation-mismatch',
      p.txnId,
      asked.ops,
      `${p.participant} reserved cells ${list(p.cells)} for ${named(p.txnId, asked)}; ${says}`,
      { reserved: p.cells, requested: asked.cells },
    );
  }
  return true;
}

/** The cells given back: the ones the session held before a modify or release, none for a create. */
function compareReleasedCells(p: ParticipantRecord, asked: AskedFor, out: AnomalyLog): boolean {
  const expected = asked.action === 'create' ? [] : asked.held?.cells;
  if (expected === undefined) return false;
  const given = p.releasedCells ?? [];
  if (sameCells(given, expected) && (asked.action === 'create' || p.releasedCells !== undefined)) return true;
  const gave = p.releasedCells === undefined ? 'recorded no cells given back' : `gave back cells ${list(given)}`;
  const held = asked.action === 'create' ? 'a new session held none' : heldText(asked, list(expected));
  out.add('release-mismatch', p.txnId, asked.ops, `${p.participant} ${gave} for ${named(p.txnId, asked)}; ${held}`, {
    released: p.releasedCells,
    held: expected,
  });
  return true;
}

/**
 * Each committed participant record against the request that asked for it: the hold and the cells after the txn,
 * and what it gave back. Counts the records compared, and the modifies and releases judged.
 */
export function compareCommitted(history: readonly HistoryOp[], obs: Observations, out: AnomalyLog) {
  const asked = requestsByTxn(history, obs);
  let charges = 0;
  let reservations = 0;
  const judged = { modify: new Set<string>(), release: new Set<string>() };
  for (const p of obs.participant) {
    const request = p.state === 'committed' ? asked.get(p.txnId) : undefined;
    if (!request) continue;
    let compared = false;
    const charge = chargeOf(p);
    if (charge) {
      const hold = compareHold(charge, request, out);
      const given = compareReleasedAmount(p, request, out);
      if (hold || given) charges++;
      compared ||= hold || given;
    }
    const cells = cellsOf(p);
    if (cells !== undefined) {
      const reserved = compareCells({ ...p, cells }, request, out);
      const given = compareReleasedCells(p, request, out);
      if (reserved || given) reservations++;
      compared ||= reserved || given;
    }
    if (compared && request.action !== 'create') judged[request.action].add(p.txnId);
  }
  return { charges, reservations, modifies: judged.modify.size, releases: judged.release.size };
}

/** What the committed txns moved on one account or cell: held or reserved, given back, and by whom. */
interface Moves {
  up: number;
  down: number;
  /** The txns that gave back (modifies and releases), to name. */
  givers: string[];
}

/** Adds one txn's move on `key`; `giver` is the txn to name for it (those that gave something back, or settled). */
function addMove(into: Map<string, Moves>, key: string, up: number, down: number, giver?: string): void {
  let m = into.get(key);
  if (!m) {
    m = { up: 0, down: 0, givers: [] };
    into.set(key, m);
  }
  m.up += up;
  m.down += down;
  if (giver !== undefined && !m.givers.includes(giver)) m.givers.push(giver);
}

/** A change's committed record must say what it gave back, or the sums cannot be made. */
const givesBack = (action: string | undefined) => action === 'modify' || action === 'release';

/**
 * What committed txns moved, from the participants' records: per account the credit held less the credit given back,
 * and what releases settled (charged); per cell the channels reserved less those given back. `unrecorded` counts
 * committed records that lack what the sums need (runs stored before records carried it).
 */
function committedMoves(obs: Observations) {
  const actionOf = new Map(obs.txn.map((t) => [t.txnId, t.action]));
  const credit = new Map<string, Moves>();
  const settled = new Map<string, Moves>();
  const channels = new Map<string, Moves>();
  let charges = 0;
  let reservations = 0;
  let unrecorded = 0;
  for (const p of obs.participant) {
    if (p.state !== 'committed') continue;
    const action = p.action ?? actionOf.get(p.txnId);
    const charge = chargeOf(p);
    const cells = cellsOf(p);
    const lacking =
      (charge === undefined && cells === undefined) ||
      (givesBack(action) && charge !== undefined && p.releasedAmount === undefined) ||
      (givesBack(action) && cells !== undefined && p.releasedCells === undefined);
    if (lacking) {
      unrecorded++;
      continue;
    }
    if (charge) {
      charges++;
      const given = p.releasedAmount ?? 0;
      addMove(credit, charge.accountId, charge.amount, given, given > 0 ? p.txnId : undefined);
      if (action === 'release') addMove(settled, charge.accountId, given, 0, p.txnId);
    }
    if (cells) {
      reservations++;
      for (const cell of cells) addMove(channels, cell, 1, 0);
      for (const cell of p.releasedCells ?? []) addMove(channels, cell, 0, 1, p.txnId);
    }
  }
  return { credit, settled, channels, charges, reservations, unrecorded };
}

function movedBy<T>(records: readonly T[], key: (r: T) => string, phase: (r: T) => string, value: (r: T) => number) {
  const initial = new Map<string, number>();
  for (const r of records) if (phase(r) === 'initial') initial.set(key(r), value(r));
  const moved = new Map<string, number>();
  for (const r of records) if (phase(r) === 'final') moved.set(key(r), value(r) - (initial.get(key(r)) ?? 0));
  return moved;
}

/** Transactions to name in one line: the first three, and how many more (the anomaly's details list them all). */
function some(txnIds: readonly string[]): string {
  const more = txnIds.length - 3;
  return more > 0 ? `${txnIds.slice(0, 3).join(', ')} and ${more} more` : txnIds.join(', ');
}

/** "committed charges total 25", or "committed holds total 25, less 5 given back (t3): 20". */
function committedText(noun: string, m: Moves): string {
  if (m.down === 0) return `committed ${noun} total ${m.up}`;
  return `committed ${noun} total ${m.up}, less ${m.down} given back (${some(m.givers)}): ${m.up - m.down}`;
}

/**
 * What moved on each key (final minus initial) against what the commits moved. Channels that committed changes gave
 * back and that are still used are `release-not-returned`; any other difference is credit or channels spent without
 * a commit, or a commit that spent nothing.
 */
function compareTotals(
  what: { unit: string; moved: string; committed: string },
  moved: ReadonlyMap<string, number>,
  committed: ReadonlyMap<string, Moves>,
  out: AnomalyLog,
): void {
  for (const id of new Set([...moved.keys(), ...committed.keys()])) {
    const m = moved.get(id) ?? 0;
    // Stryker disable next-line ArrayDeclaration: a key no commit moved gave nothing back, so no giver is ever named
    const c = committed.get(id) ?? { up: 0, down: 0, givers: [] };
    const net = c.up - c.down;
    if (m === net) continue;
    const details = { moved: m, committed: c.up, givenBack: c.down };
    const text = `${m} ${what.unit} ${what.moved} during the run; ${committedText(what.committed, c)}`;
    if (what.unit === 'channels' && m > net && m <= c.up) {
      const lost = `${m - net} of the ${c.down} channels given back by ${some(c.givers)} did not come back`;
      out.add('release-not-returned', id, [], `${lost}: ${text}`, { ...details, txns: c.givers });
    } else {
      out.add(m > net ? 'spent-not-committed' : 'committed-not-spent', id, [], text, details);
    }
  }
}

/** Credit charged to each account (final minus initial) against what its committed releases settled. */
function compareSettled(moved: ReadonlyMap<string, number>, settled: ReadonlyMap<string, Moves>, out: AnomalyLog) {
  for (const id of new Set([...moved.keys(), ...settled.keys()])) {
    const m = moved.get(id) ?? 0;
    const s = settled.get(id) ?? { up: 0, down: 0, givers: [] };
    if (m === s.up) continue;
    const txns = s.givers.length > 0 ? ` (${s.givers.join(', ')})` : '';
    out.add(
      'settle-mismatch',
      id,
      [],
      `${m} credit charged during the run; committed releases settled ${s.up}${txns}`,
      { charged: m, settled: s.up },
    );
  }
}

/**
 * Spent and charged credit and used channels against the committed txns. Judged only when the participants' records
 * are evidence of every commit: some exist, and each committed one carries its charge or its cells, and a modify's
 * or release's what it gave back (runs stored before the records carried them are not judged).
 */
export function compareMoved(obs: Observations, out: AnomalyLog) {
  const moves = committedMoves(obs);
  if (obs.participant.length === 0 || moves.unrecorded > 0) {
    return { committedCharges: 0, committedReservations: 0, unrecordedCommits: moves.unrecorded };
  }
  if (obs.account.some((a) => a.phase === 'final')) {
    const key = (a: Observations['account'][number]) => a.accountId;
    const phase = (a: Observations['account'][number]) => a.phase;
    const spent = movedBy(obs.account, key, phase, (a) => a.spent);
    compareTotals({ unit: 'credit', moved: 'spent', committed: 'charges' }, spent, moves.credit, out);
    compareSettled(
      movedBy(obs.account, key, phase, (a) => a.charged ?? 0),
      moves.settled,
      out,
    );
  }
  if (obs.cell.some((c) => c.phase === 'final')) {
    const used = movedBy(
      obs.cell,
      (c) => String(c.cellId),
      (c) => c.phase,
      (c) => c.used,
    );
    compareTotals({ unit: 'channels', moved: 'used', committed: 'reservations' }, used, moves.channels, out);
  }
  return { committedCharges: moves.charges, committedReservations: moves.reservations, unrecordedCommits: 0 };
}
