// The resource manager's part of a participant: radio cells with a channel capacity. A prepare reserves one
// channel per cell named, locking the cells in the order given, so sessions naming the same cells in different
// orders can deadlock (spec 10). A modify or release first gives back one channel on each cell the session held.
import { plantedBug } from '../common/bugs.ts';
import type { Env } from '../common/config.ts';
import { Statements, toSafeInt } from '../common/statements.ts';
import type { Domain } from '../participant/domain.ts';

export interface RmConfig {
  cells: number;
  cellCapacity: number;
}

/** Over-booked cell ids listed by /v1/state, at most. */
const overbookedListMax = 1000;

export function readRmConfig(env: Env): RmConfig {
  return {
    cells: env.int('RIG_CELLS', 1000, 1, 1_000_000),
    cellCapacity: env.int('RIG_CELL_CAPACITY', 1000, 1, 1_000_000_000),
  };
}

export function createRmDomain(env: Env): Domain {
  const config = readRmConfig(env);
  const releaseKeepsCapacity = plantedBug(env, 'release-keeps-capacity');
  const statements = Statements.load('resource-manager', new URL('./sql/', import.meta.url));
  return {
    service: 'resource-manager',
    statements,
    async seed(sql) {
      await statements.run(sql, 'seed', [config.cells, config.cellCapacity]);
    },
    reservations(req) {
      if (req.cells.length === 0 && req.kind !== 'release') return 'unknown_cell';
      const held = releaseKeepsCapacity && req.kind === 'release' ? [] : (req.release?.cells ?? []);
      return [
        ...held.map((cell) => ({ resource: `cell:${cell}`, statement: 'release_cell', params: [cell] })),
        ...req.cells.map((cell) => ({ resource: `cell:${cell}`, statement: 'reserve_cell', params: [cell] })),
      ];
    },
    async totals(sql) {
      const [row] = await statements.run(sql, 'totals');
      const overbooked = await statements.run(sql, 'overbooked', [overbookedListMax]);
      return {
        cells: toSafeInt(row?.cells, 'cells'),
        capacity: toSafeInt(row?.capacity, 'capacity'),
        used: toSafeInt(row?.used, 'used'),
        overbooked: overbooked.map((r) => String(r.id)),
      };
    },
  };
}
