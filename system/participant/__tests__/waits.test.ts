// The participant's wait-for edges as lock-wait records (pure logic: pg_locks is replaced by the rows it would
// give): every wait recorded when first seen is recorded again with its end, under the same key that collect pairs
// them by (participant, txn, holder, resource, start), so no finished wait is left looking open; and a wait ends
// when its prepare moves on or ends, not at the next reading.
import { describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../common/clock.ts';
import type { Logger } from '../../common/log.ts';
import { type DbRow, type Queryable, Statements } from '../../common/statements.ts';
import { InFlightPrepares } from '../inflight.ts';
import { WaitGraph } from '../waits.ts';

const intervalMs = 100;

function setup() {
  let now = 1_000_000;
  const clock: Clock = {
    ...systemClock(),
    wallMs: () => now,
    monotonicMs: () => now,
    setOffsetMs: () => {},
    offsetMs: () => 0,
  };
  const records: Array<Record<string, unknown>> = [];
  const logger = { observe: (_: string, r: Record<string, unknown>) => records.push(r) } as unknown as Logger;
  let rows: DbRow[] = [];
  const sql: Queryable = { unsafe: async () => rows };
  const statements = Statements.load('participant', new URL('../sql/', import.meta.url));
  const inflight = new InFlightPrepares();
  const graph = new WaitGraph(sql, statements, inflight, 'rm:', 'rm', logger, clock, intervalMs);
  return {
    graph,
    inflight,
    records,
    advance: (ms: number) => {
      now += ms;
    },
    pgLocks: (next: DbRow[]) => {
      rows = next;
    },
  };
}

/** A's backend waits for the prepared transaction B, for `waitedMs`. */
const aWaitsForB = (waitedMs: number): DbRow => ({
  waiter_pid: 11,
  waiter_xid: '501',
  blocker_gid: 'rm:B',
  blocker_pid: 0,
  blocker_xid: null,
  waited_ms: waitedMs,
});

/** What collect keeps: the last record of each (txn, holder, resource, start). */
function paired(records: Array<Record<string, unknown>>) {
  const byKey = new Map<string, Record<string, unknown>>();
  for (const r of records) byKey.set(`${r.txnId}|${r.waitsFor}|${r.resource}|${r.start}`, r);
  return [...byKey.values()];
}

describe('WaitGraph lock-wait records', () => {
  it('ends the wait on one resource and starts a new one when the prepare waits for the same holder on its next lock', async () => {
    const t = setup();
    t.inflight.register('A', 11, '501');
    t.inflight.locking('A', 'cell:cell-3', 0);
    t.advance(intervalMs);
    t.pgLocks([aWaitsForB(50)]);
    await t.graph.refresh();
    // A gets cell-3, then waits for B again on cell-4.
    t.inflight.locking('A', 'cell:cell-4', 0);
    t.advance(intervalMs);
    t.pgLocks([aWaitsForB(20)]);
    await t.graph.refresh();
    t.advance(intervalMs);
    t.pgLocks([]);
    t.inflight.reserved('A');
    await t.graph.refresh();
    expect(t.records.map((r) => [r.resource, r.end === undefined ? 'start' : 'end'])).toEqual([
      ['cell:cell-3', 'start'],
      ['cell:cell-3', 'end'],
      ['cell:cell-4', 'start'],
      ['cell:cell-4', 'end'],
    ]);
    expect(paired(t.records).every((r) => r.end !== undefined)).toBe(true);
    expect(t.records.every((r) => r.waitsFor === 'B' && r.txnId === 'A')).toBe(true);
  });

  it('keeps one open wait across readings while nothing changes, and ends it once pg_locks no longer shows it', async () => {
    const t = setup();
    t.inflight.register('A', 11, '501');
    t.inflight.locking('A', 'account:imsi-1', 0);
    t.advance(intervalMs);
    t.pgLocks([aWaitsForB(40)]);
    await t.graph.refresh();
    t.advance(intervalMs);
    t.pgLocks([aWaitsForB(140)]);
    await t.graph.refresh();
    expect(t.records).toHaveLength(1);
    expect((await t.graph.snapshot()).edges).toMatchObject([{ txnId: 'A', waitsFor: 'B', resource: 'account:imsi-1' }]);
    t.advance(intervalMs);
    t.pgLocks([]);
    await t.graph.refresh();
    expect(paired(t.records)).toMatchObject([{ start: 1_000_000 + intervalMs - 40, end: 1_000_000 + 3 * intervalMs }]);
  });

  it('ends a wait when its prepare moves on or ends, without waiting for the next reading', async () => {
    const t = setup();
    t.inflight.register('A', 11, '501');
    t.inflight.locking('A', 'cell:cell-3', 0);
    t.advance(intervalMs);
    t.pgLocks([aWaitsForB(40)]);
    await t.graph.refresh();
    t.advance(7);
    // A gets the lock (its statement answers): the wait ended now, whatever pg_locks said at the last reading.
    t.inflight.locking('A', 'cell:cell-4', 0);
    expect(t.records.at(-1)).toMatchObject({ resource: 'cell:cell-3', end: 1_000_000 + intervalMs + 7 });
    t.advance(intervalMs);
    t.pgLocks([aWaitsForB(30)]);
    await t.graph.refresh();
    t.advance(5);
    // A's prepare ends (a lock timeout, a cancel, or all its locks): no wait of it is left open.
    t.inflight.done('A');
    expect(t.records.at(-1)).toMatchObject({ resource: 'cell:cell-4', end: 1_000_000 + 2 * intervalMs + 12 });
    expect(paired(t.records).every((r) => r.end !== undefined)).toBe(true);
    expect((await t.graph.snapshot()).edges).toEqual([]);
  });
});
