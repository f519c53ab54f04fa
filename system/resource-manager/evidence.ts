// The resource manager's evidence for the rig: a snapshot of its cells, read from its own database.
import type { CellRecord } from '../../format/observations.ts';
import { type Queryable, Statements } from '../common/statements.ts';
import { type DetailFields, releasedOf } from '../participant/evidence.ts';

const statements = Statements.load('resource-manager', new URL('./sql/', import.meta.url));

/** Every cell as committed at `at` (ns); channels a prepared transaction holds are not visible, so `held` is left out. */
export async function readCells(sql: Queryable, phase: CellRecord['phase'], at: number): Promise<CellRecord[]> {
  return (await statements.run(sql, 'evidence_cells')).map((r): CellRecord => {
    const capacity = Number(r.capacity);
    const used = Number(r.used);
    return { kind: 'cell', cellId: String(r.id), phase, capacity, free: capacity - used, used, at };
  });
}

/**
 * The resource manager's part of a transaction's recorded detail (participant_txn.detail): the cells it reserved
 * one channel on each, and (modify, release) those it gave one back on. Left out when the prepare did not record
 * them as a list of cell ids.
 */
export function reservationOf(detail: Readonly<Record<string, unknown>>): DetailFields {
  const cells = cellList(detail.cells);
  const released = cellList(releasedOf(detail)?.cells);
  return { ...(cells ? { cells } : {}), ...(released ? { releasedCells: released } : {}) };
}

function cellList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((c) => typeof c === 'string') ? [...v] : undefined;
}
