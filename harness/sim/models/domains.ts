// The two participant domains' tables and statements, as the participant model (participant.ts) runs them: the
// resource manager's cells (system/resource-manager/sql: 0001_schema, seed, reserve_cell, release_cell, totals,
// overbooked, evidence_cells) and billing's accounts (system/billing/sql: 0001_schema, 0003_charged, seed, hold,
// adjust_hold, settle, totals, negative, evidence_accounts), and what each domain.ts's totals() makes of them.
//
// Every reservation statement there is one shape: `UPDATE <table> SET ... WHERE id = $1 AND <guard> RETURNING id`,
// then a CASE that raises participant_refuse(reason) when no row was updated, choosing the reason from the
// statement's snapshot of the row. A RowUpdate says that shape's three parts; participant.ts does the locking (a
// locked row is waited for, then its guard is checked again on the newest version, as READ COMMITTED does).
import type { VoteNoReason } from '../../../system/common/contract.ts';
import type { Param } from '../../../system/common/statements.ts';

/** One row of a domain table, without its id (every column a number). Rows are replaced, never changed in place. */
export type Row = Readonly<Record<string, number>>;

export interface RowUpdate {
  /** `$1`: the row's id. */
  id: string;
  /** The UPDATE's WHERE beyond the id. */
  guard(row: Row): boolean;
  /** The UPDATE's SET. */
  set(row: Row): Row;
  /** The CASE when nothing was updated; `row` as the statement's snapshot saw it (undefined: no such row). */
  refuse(row: Row | undefined): VoteNoReason;
}

export interface DomainModel {
  /** The table's seeded rows, in the order the seed inserts them. */
  seed(): Map<string, Row>;
  /** The reservation statement `name` (Reservation.statement) with its params. */
  update(name: string, params: readonly Param[]): RowUpdate;
  /** totals.sql plus the domain's list of broken rows (overbooked.sql, negative.sql), as domain.ts totals() returns. */
  totals(rows: ReadonlyMap<string, Row>, sortedIds: readonly string[]): Record<string, unknown>;
  /** The domain's evidence rows (evidence_cells.sql, evidence_accounts.sql), as postgres.js returns them. */
  evidence(rows: ReadonlyMap<string, Row>, sortedIds: readonly string[]): Array<Record<string, unknown>>;
  /** totals.sql's rows as postgres.js returns them (bigint columns as text). */
  totalsRow(rows: ReadonlyMap<string, Row>): Record<string, unknown>;
  /** overbooked.sql or negative.sql: the broken rows' ids, ordered by id, at most `limit`. */
  broken(rows: ReadonlyMap<string, Row>, sortedIds: readonly string[], limit: number): string[];
  /** The statement names of broken() and evidence(). */
  readonly names: { broken: 'overbooked' | 'negative'; evidence: 'evidence_cells' | 'evidence_accounts' };
}

export interface SeedSizes {
  cells: number;
  cellCapacity: number;
  subscribers: number;
  initialBalance: number;
}

/** domain.ts lists at most this many broken ids (overbookedListMax, negativeListMax). */
const brokenListMax = 1000;

const text = (p: Param | undefined): string => String(p);
/** A `$n::bigint` parameter. */
function bigint(p: Param | undefined, what: string): number {
  const n = Number(p);
  if (!Number.isSafeInteger(n)) throw new Error(`${what}: ${String(p)} is not an integer`);
  return n;
}

const sum = (rows: ReadonlyMap<string, Row>, col: string) => {
  let s = 0;
  for (const r of rows.values()) s += r[col] ?? 0;
  return s;
};

function brokenIds(rows: ReadonlyMap<string, Row>, ids: readonly string[], limit: number, bad: (r: Row) => boolean) {
  const out: string[] = [];
  for (const id of ids) {
    if (out.length >= limit) break;
    const r = rows.get(id);
    if (r && bad(r)) out.push(id);
  }
  return out;
}

/** The resource manager: cells (id, capacity, used). */
export function rmModel(sizes: SeedSizes): DomainModel {
  const overbooked = (r: Row) => (r.used ?? 0) > (r.capacity ?? 0);
  const refuse = (full: VoteNoReason) => (r: Row | undefined) => (r ? full : 'unknown_cell');
  const model: DomainModel = {
    names: { broken: 'overbooked', evidence: 'evidence_cells' },
    seed() {
      const rows = new Map<string, Row>();
      for (let i = 1; i <= sizes.cells; i++) rows.set(`cell-${i}`, { capacity: sizes.cellCapacity, used: 0 });
      return rows;
    },
    update(name, params) {
      const id = text(params[0]);
      if (name === 'reserve_cell') {
        return {
          id,
          guard: (r) => (r.used ?? 0) < (r.capacity ?? 0),
          set: (r) => ({ ...r, used: (r.used ?? 0) + 1 }),
          refuse: refuse('no_capacity'),
        };
      }
      if (name === 'release_cell') {
        return {
          id,
          guard: (r) => (r.used ?? 0) > 0,
          set: (r) => ({ ...r, used: (r.used ?? 0) - 1 }),
          refuse: refuse('nothing_held'),
        };
      }
      throw new Error(`resource-manager has no reservation statement ${name}`);
    },
    totalsRow: (rows) => ({
      cells: String(rows.size),
      capacity: String(sum(rows, 'capacity')),
      used: String(sum(rows, 'used')),
    }),
    broken: (rows, ids, limit) => brokenIds(rows, ids, limit, overbooked),
    totals(rows, ids) {
      return {
        cells: rows.size,
        capacity: sum(rows, 'capacity'),
        used: sum(rows, 'used'),
        overbooked: model.broken(rows, ids, brokenListMax),
      };
    },
    evidence: (rows, ids) => ids.map((id) => ({ id, capacity: rows.get(id)?.capacity, used: rows.get(id)?.used })),
  };
  return model;
}

/** Billing: accounts (id, balance, held, charged). */
export function billingModel(sizes: SeedSizes): DomainModel {
  const negative = (r: Row) => (r.balance ?? 0) < 0;
  const col = (r: Row, c: string) => r[c] ?? 0;
  const model: DomainModel = {
    names: { broken: 'negative', evidence: 'evidence_accounts' },
    seed() {
      const rows = new Map<string, Row>();
      for (let i = 0; i < sizes.subscribers; i++) {
        rows.set(`imsi-00101${String(i).padStart(10, '0').slice(0, 10)}`, {
          balance: sizes.initialBalance,
          held: 0,
          charged: 0,
        });
      }
      return rows;
    },
    update(name, params) {
      const id = text(params[0]);
      if (name === 'hold') {
        const amount = bigint(params[1], 'hold $2');
        return {
          id,
          guard: (r) => col(r, 'balance') >= amount,
          set: (r) => ({ ...r, balance: col(r, 'balance') - amount, held: col(r, 'held') + amount }),
          refuse: (r) => (r ? 'no_credit' : 'unknown_subscriber'),
        };
      }
      if (name === 'adjust_hold') {
        const before = bigint(params[1], 'adjust_hold $2');
        const rise = bigint(params[2], 'adjust_hold $3') - before;
        return {
          id,
          guard: (r) => col(r, 'held') >= before && col(r, 'balance') >= rise,
          set: (r) => ({ ...r, balance: col(r, 'balance') - rise, held: col(r, 'held') + rise }),
          refuse: (r) => (!r ? 'unknown_subscriber' : col(r, 'held') < before ? 'nothing_held' : 'no_credit'),
        };
      }
      if (name === 'settle') {
        const amount = bigint(params[1], 'settle $2');
        return {
          id,
          guard: (r) => col(r, 'held') >= amount,
          set: (r) => ({ ...r, held: col(r, 'held') - amount, charged: col(r, 'charged') + amount }),
          refuse: (r) => (r ? 'nothing_held' : 'unknown_subscriber'),
        };
      }
      throw new Error(`billing has no reservation statement ${name}`);
    },
    totalsRow: (rows) => ({
      accounts: String(rows.size),
      balance: String(sum(rows, 'balance')),
      held: String(sum(rows, 'held')),
      charged: String(sum(rows, 'charged')),
    }),
    broken: (rows, ids, limit) => brokenIds(rows, ids, limit, negative),
    totals(rows, ids) {
      return {
        accounts: rows.size,
        balance: sum(rows, 'balance'),
        held: sum(rows, 'held'),
        charged: sum(rows, 'charged'),
        negative: model.broken(rows, ids, brokenListMax),
      };
    },
    evidence: (rows, ids) =>
      ids.map((id) => {
        const r = rows.get(id) ?? {};
        return { id, balance: String(r.balance), held: String(r.held), charged: String(r.charged) };
      }),
  };
  return model;
}
