// The decision as one statement against a real PostgreSQL: the first decision logged wins and writes the only
// outbox row; a decision that waited for a concurrent one answers with that one; and a fence raise that arrives
// while a decision holds the fence row waits for it, so the decision (made under the old token before the raise)
// lands and every later one of that token is refused. Also the relay's batch of outbox rows marked sent, and group
// commit: intents, decisions and closes made together go in one statement, each with its own outcome.
import { describe, expect, it } from 'vitest';
import type { Sql } from '../../common/pg.ts';
import { PostgresTxLog } from '../txlog.ts';
import { coordinatorDatabases, intent } from './txlog-fixture.ts';

const database = coordinatorDatabases('decide');

async function openLog(): Promise<{ log: PostgresTxLog; sql: Sql }> {
  const sql = await database();
  const log = await PostgresTxLog.open(sql, 20_000);
  await log.raiseFence(1);
  return { log, sql };
}

/** Resolves once some backend of this database waits for a lock (the statement under test is blocked). */
async function someoneWaits(sql: Sql): Promise<void> {
  for (;;) {
    const [row] = await sql`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    if (Number(row?.n) > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Another writer decides `txnId` abort (reason `other`) and keeps its transaction open while `call` starts and
 * blocks on the row; then it commits, and `call`'s answer is returned.
 */
async function whileDecidedElsewhere<T>(sql: Sql, txnId: string, call: () => Promise<T>): Promise<T> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const other = sql.begin(async (tx) => {
    await tx`UPDATE txn SET decision = 'abort', reason = 'other' WHERE txn_id = ${txnId}`;
    await held;
  });
  const ours = call();
  await someoneWaits(sql);
  release();
  await other;
  return ours;
}

async function outboxRows(sql: Sql, txnId: string): Promise<Array<{ outcome: string; token: number }>> {
  const rows = await sql`SELECT outcome, token FROM outbox WHERE txn_id = ${txnId}`;
  return rows.map((r) => ({ outcome: String(r.outcome), token: Number(r.token) }));
}

describe('decision in one statement', () => {
  it('logs the first decision with its outbox row; a later one gets the standing decision and writes nothing', async () => {
    const { log, sql } = await openLog();
    await log.insertIntent(intent('t1'));
    expect(await log.decide('t1', 'commit', null, 1, 'sm-1', 5)).toEqual({ decision: 'commit', reason: null });
    expect(await log.decide('t1', 'abort', 'late', 1, 'sm-1', 6)).toEqual({ decision: 'commit', reason: null });
    expect(await outboxRows(sql, 't1')).toEqual([{ outcome: 'commit', token: 1 }]);
    expect(await log.get('t1')).toMatchObject({ decision: 'commit', decisionToken: 1 });
    await expect(log.decide('missing', 'abort', null, 1, 'sm-1', 7)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('tells a fenced writer the decision that stands, and whether an undecided row holds a pre-commit', async () => {
    const { log, sql } = await openLog();
    // A coordinator's commit lands but its reply is lost (a pause past the lease); a newer leader raises the fence;
    // the old coordinator, trying to log abort, must learn its own commit stands, not "fenced" (read as aborted).
    await log.insertIntent(intent('f1'));
    await log.decide('f1', 'commit', null, 1, 'sm-1', 5);
    await log.insertIntent(intent('f2'));
    await log.insertIntent({ ...intent('f3'), protocol: '3pc' });
    expect(await log.precommit('f3', 1)).toBe('precommitted');
    await log.raiseFence(2);
    expect(await log.decide('f1', 'abort', 'coordinator_timeout', 1, 'sm-1', 6)).toEqual({
      decision: 'commit',
      reason: null,
    });
    await expect(log.decide('f2', 'abort', null, 1, 'sm-1', 6)).rejects.toMatchObject({
      code: 'stale_token',
      details: { precommitted: false },
    });
    await expect(log.decide('f3', 'abort', null, 1, 'sm-1', 6)).rejects.toMatchObject({
      code: 'stale_token',
      details: { precommitted: true },
    });
    expect(await outboxRows(sql, 'f1')).toEqual([{ outcome: 'commit', token: 1 }]);
    expect(await log.get('f2')).toMatchObject({ decision: null });
  });

  it('marks a batch of outbox rows sent in one call, with their stream ids', async () => {
    const { log, sql } = await openLog();
    for (const t of ['m1', 'm2', 'm3']) {
      await log.insertIntent(intent(t));
      await log.decide(t, 'commit', null, 1, 'sm-1', 5);
    }
    const unsent = await log.unsentEvents(10);
    expect(unsent.map((r) => r.txnId)).toEqual(['m1', 'm2', 'm3']);
    await log.markSent(unsent.slice(0, 2).map((r, i) => ({ id: r.id, streamId: `1-${i}` })));
    expect((await log.unsentEvents(10)).map((r) => r.txnId)).toEqual(['m3']);
    const marked = await sql`SELECT txn_id, stream_id FROM outbox WHERE sent_at IS NOT NULL ORDER BY id`;
    expect(marked.map((r) => [r.txn_id, r.stream_id])).toEqual([
      ['m1', '1-0'],
      ['m2', '1-1'],
    ]);
    await log.markSent([]);
  });

  it('answers with the decision that landed while it waited for the row', async () => {
    const { log, sql } = await openLog();
    await log.insertIntent(intent('t2'));
    const ours = await whileDecidedElsewhere(sql, 't2', () => log.decide('t2', 'commit', null, 1, 'sm-1', 5));
    expect(ours).toEqual({ decision: 'abort', reason: 'other' });
    expect(await outboxRows(sql, 't2')).toEqual([]);
  });

  it('logs a pre-commit in one statement, or answers the decision that stands, including one that landed meanwhile', async () => {
    const { log, sql } = await openLog();
    for (const t of ['p1', 'p2', 'p3']) await log.insertIntent({ ...intent(t), protocol: '3pc' });
    expect(await log.precommit('p1', 1)).toBe('precommitted');
    expect(await log.get('p1')).toMatchObject({ precommitted: true, decision: null });
    await log.decide('p2', 'abort', 'deadlock_victim', 1, 'sm-1', 5);
    expect(await log.precommit('p2', 1)).toEqual({ decision: 'abort', reason: 'deadlock_victim' });
    await expect(log.precommit('missing', 1)).rejects.toMatchObject({ code: 'not_found' });
    expect(await whileDecidedElsewhere(sql, 'p3', () => log.precommit('p3', 1))).toEqual({
      decision: 'abort',
      reason: 'other',
    });
    expect(await log.get('p3')).toMatchObject({ precommitted: false });
    // Under the fence: refused, and nothing changes.
    await log.insertIntent({ ...intent('p4'), protocol: '3pc' });
    await log.raiseFence(2);
    await expect(log.precommit('p4', 1)).rejects.toMatchObject({ code: 'stale_token' });
    expect(await log.get('p4')).toMatchObject({ precommitted: false, decision: null });
  });

  it('holds the fence row until it commits: a raise waits for it, then older tokens are refused', async () => {
    const { log, sql } = await openLog();
    await log.insertIntent(intent('t3'));
    await log.insertIntent(intent('t4'));
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Hold t3's row so that the decision blocks after taking its share lock on the fence row.
    const blocker = sql.begin(async (tx) => {
      await tx`SELECT 1 FROM txn WHERE txn_id = 't3' FOR UPDATE`;
      await held;
    });
    const order: string[] = [];
    const decided = log.decide('t3', 'commit', null, 1, 'sm-1', 5).then((s) => {
      order.push('decided');
      return s;
    });
    await someoneWaits(sql);
    const raised = log.raiseFence(2).then(() => order.push('raised'));
    // Wait until the raise, too, is queued on a lock (two waiters), then let the decision go on.
    for (;;) {
      const [row] = await sql`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      if (Number(row?.n) >= 2) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    release();
    await blocker;
    expect(await decided).toEqual({ decision: 'commit', reason: null });
    await raised;
    expect(order).toEqual(['decided', 'raised']);
    await expect(log.decide('t4', 'commit', null, 1, 'sm-1', 6)).rejects.toMatchObject({ code: 'stale_token' });
    expect(await log.get('t4')).toMatchObject({ decision: null });
    expect(await outboxRows(sql, 't4')).toEqual([]);
  });
});

/** The transaction that last wrote each row: rows written by one statement share it. */
async function writers(sql: Sql, txnIds: string[]): Promise<Set<string>> {
  const rows = await sql`SELECT xmin::text AS x FROM txn WHERE txn_id IN ${sql(txnIds)}`;
  expect(rows).toHaveLength(txnIds.length);
  return new Set(rows.map((r) => String(r.x)));
}

describe('group commit: calls made together share one statement, and each gets its own outcome', () => {
  it('logs intents together, answering a repeated idempotency key and a fenced token each on its own', async () => {
    const { log, sql } = await openLog();
    await log.insertIntent(intent('g0', 1, 'key-0'));
    const outcomes = await Promise.allSettled([
      log.insertIntent(intent('g1', 1, 'key-1')),
      log.insertIntent(intent('g2', 1, 'key-0')),
      log.insertIntent(intent('g3', 1, 'key-3')),
      log.insertIntent(intent('g4', 1, 'key-3')),
      log.insertIntent(intent('g5', 0)),
    ]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as { code: string }).code))).toEqual([
      'inserted',
      'duplicate-key',
      'inserted',
      'duplicate-key',
      'stale_token',
    ]);
    expect(await writers(sql, ['g1', 'g3'])).toHaveProperty('size', 1);
    for (const t of ['g2', 'g4', 'g5']) expect(await log.get(t)).toBeUndefined();
  });

  it('logs decisions together: each row decided once, with one outbox row, and the standing one told', async () => {
    const { log, sql } = await openLog();
    for (const t of ['d1', 'd2', 'd3', 'd4']) await log.insertIntent(intent(t));
    await log.decide('d2', 'abort', 'earlier', 1, 'sm-1', 1);
    const outcomes = await Promise.allSettled([
      log.decide('d1', 'commit', null, 1, 'sm-1', 5),
      log.decide('d2', 'commit', null, 1, 'sm-1', 5),
      log.decide('d3', 'commit', null, 0, 'sm-1', 5),
      log.decide('d4', 'abort', 'no_credit', 1, 'sm-1', 5),
      // The deadlock detector's abort for d1, made with the coordinator's commit: it goes in the next statement.
      log.decide('d1', 'abort', 'deadlock_victim', 1, 'sm-1', 5),
    ]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as { code: string }).code))).toEqual([
      { decision: 'commit', reason: null },
      { decision: 'abort', reason: 'earlier' },
      'stale_token',
      { decision: 'abort', reason: 'no_credit' },
      { decision: 'commit', reason: null },
    ]);
    expect(await writers(sql, ['d1', 'd4'])).toHaveProperty('size', 1);
    expect(await outboxRows(sql, 'd1')).toEqual([{ outcome: 'commit', token: 1 }]);
    expect(await outboxRows(sql, 'd2')).toEqual([{ outcome: 'abort', token: 1 }]);
    expect(await outboxRows(sql, 'd3')).toEqual([]);
    expect(await outboxRows(sql, 'd4')).toEqual([{ outcome: 'abort', token: 1 }]);
  });

  it('closes transactions together, and not one whose token is fenced', async () => {
    const { log, sql } = await openLog();
    for (const t of ['c1', 'c2', 'c3']) {
      await log.insertIntent(intent(t));
      await log.decide(t, 'commit', null, 1, 'sm-1', 5);
    }
    await Promise.all([log.close('c1', 1), log.close('c2', 1), log.close('c3', 0)]);
    expect((await log.many(['c1', 'c2', 'c3'])).map((r) => [r.txnId, r.closed]).sort()).toEqual([
      ['c1', true],
      ['c2', true],
      ['c3', false],
    ]);
    expect(await writers(sql, ['c1', 'c2'])).toHaveProperty('size', 1);
    expect(await log.openCount()).toBe(1);
  });
});
