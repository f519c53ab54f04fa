// The decision, the pre-commit and the close, one test body against two targets: the real PostgresTxLog on a
// private PostgreSQL, and the simulator's model of the coordinator database (harness/sim/models/txlog.ts). The first
// decision logged wins and writes the only outbox row; a fenced writer learns a decision that stands, or that it is
// fenced and whether a pre-commit is logged; a close is fenced and happens once. The relay's batch of outbox rows
// marked sent. Group commit: intents, decisions and closes made together each get their own outcome (and, on the
// real server, share one statement). On the real server only, as the model has no lock waits: a decision or
// pre-commit that waited for a concurrent one answers with that one, and a fence raise that arrives while a
// decision holds the fence row waits for it, so the decision (made under the old token before the raise) lands and
// every later one of that token is refused.
import { describe, expect, it } from 'vitest';
import type { Sql } from '../../common/pg.ts';
import { txlogStatements } from '../txlog.ts';
import { intent, type OpenedLog, realOnly, type Target, targets } from './txlog-fixture.ts';

const noLockWaits =
  'lock waits: each call is one atomic step, so nothing lands "meanwhile" (see harness/sim/models/txlog.ts)';

async function openLog(target: Target): Promise<OpenedLog> {
  const opened = await target.open();
  await opened.log.raiseFence(1);
  return opened;
}

/** Resolves once some backend of this database waits for a lock (the statement under test is blocked). */
async function someoneWaits(sql: Sql, atLeast = 1): Promise<void> {
  for (;;) {
    const [row] = await sql`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    if (Number(row?.n) >= atLeast) return;
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

async function outboxRows(opened: OpenedLog, txnId: string): Promise<Array<{ outcome: string; token: number }>> {
  return (await opened.outbox()).filter((r) => r.txnId === txnId).map(({ outcome, token }) => ({ outcome, token }));
}

/** Each call's answer, or the code it failed with. */
function outcomesOf(settled: PromiseSettledResult<unknown>[]): unknown[] {
  return settled.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as { code: string }).code));
}

for (const target of targets('decide')) {
  describe(`decision in one statement [${target.name}]`, () => {
    it('logs the first decision with its outbox row; a later one gets the standing decision and writes nothing', async () => {
      const opened = await openLog(target);
      const { log } = opened;
      await log.insertIntent(intent('t1'));
      expect(await log.decide('t1', 'commit', null, 1, 'sm-1', 5)).toEqual({ decision: 'commit', reason: null });
      expect(await log.decide('t1', 'abort', 'late', 1, 'sm-1', 6)).toEqual({ decision: 'commit', reason: null });
      expect(await outboxRows(opened, 't1')).toEqual([{ outcome: 'commit', token: 1 }]);
      expect(await log.get('t1')).toMatchObject({ decision: 'commit', decisionToken: 1 });
      await expect(log.decide('missing', 'abort', null, 1, 'sm-1', 7)).rejects.toMatchObject({ code: 'not_found' });
    });

    it("records the decision's token (a newer leader's on an older intent) and the decider's time on its outbox row", async () => {
      const opened = await openLog(target);
      const { log } = opened;
      await log.insertIntent(intent('t5'));
      await log.raiseFence(3);
      expect(await log.decide('t5', 'abort', 'recovered', 3, 'sm-2', 1_767_225_600_123)).toEqual({
        decision: 'abort',
        reason: 'recovered',
      });
      expect(await log.get('t5')).toMatchObject({ token: 1, decisionToken: 3, decision: 'abort' });
      expect(await log.unsentEvents(10)).toEqual([
        {
          id: expect.any(Number),
          txnId: 't5',
          sessionId: 'ses-t5',
          outcome: 'abort',
          token: 3,
          decidedAtMs: 1_767_225_600_123,
        },
      ]);
      // The decider's time is bound as a bigint: a fraction of a millisecond is refused, and nothing is decided.
      await log.insertIntent(intent('t6', 3));
      await expect(log.decide('t6', 'commit', null, 3, 'sm-2', 5.5)).rejects.toMatchObject({ code: '22P02' });
      expect(await log.get('t6')).toMatchObject({ decision: null });
    });

    it('tells a fenced writer the decision that stands, and whether an undecided row holds a pre-commit', async () => {
      const opened = await openLog(target);
      const { log } = opened;
      // A coordinator's commit lands but its reply is lost (a pause past the lease); a newer leader raises the
      // fence; the old coordinator, trying to log abort, must learn its own commit stands, not "fenced" (read as
      // aborted).
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
      // No row, and fenced: the fence is the answer (a not-found would read as "never logged").
      await expect(log.decide('missing', 'abort', null, 1, 'sm-1', 6)).rejects.toMatchObject({
        code: 'stale_token',
        details: { token: 1, precommitted: false },
      });
      expect(await outboxRows(opened, 'f1')).toEqual([{ outcome: 'commit', token: 1 }]);
      expect(await log.get('f2')).toMatchObject({ decision: null });
    });

    it('marks a batch of outbox rows sent in one call, with their stream ids', async () => {
      const opened = await openLog(target);
      const { log } = opened;
      for (const t of ['m1', 'm2', 'm3']) {
        await log.insertIntent(intent(t));
        await log.decide(t, 'commit', null, 1, 'sm-1', 5);
      }
      const unsent = await log.unsentEvents(10);
      expect(unsent.map((r) => r.txnId)).toEqual(['m1', 'm2', 'm3']);
      expect((await log.unsentEvents(2)).map((r) => r.txnId)).toEqual(['m1', 'm2']);
      await log.markSent(unsent.slice(0, 2).map((r, i) => ({ id: r.id, streamId: `1-${i}` })));
      expect((await log.unsentEvents(10)).map((r) => r.txnId)).toEqual(['m3']);
      const marked = (await opened.outbox()).filter((r) => r.sent);
      expect(marked.map((r) => [r.txnId, r.streamId])).toEqual([
        ['m1', '1-0'],
        ['m2', '1-1'],
      ]);
      await log.markSent([]);
      // Marking again is not guarded: the row takes the new stream id. An id with no row changes nothing.
      await log.markSent([
        { id: unsent[0]!.id, streamId: '2-0' },
        { id: unsent[2]!.id + 1_000, streamId: '2-1' },
      ]);
      expect((await opened.outbox()).map((r) => [r.txnId, r.sent, r.streamId])).toEqual([
        ['m1', true, '2-0'],
        ['m2', true, '1-1'],
        ['m3', false, null],
      ]);
    });

    realOnly(target, noLockWaits)('answers with the decision that landed while it waited for the row', async () => {
      const opened = await openLog(target);
      const { log, sql } = opened;
      await log.insertIntent(intent('t2'));
      const ours = await whileDecidedElsewhere(sql!, 't2', () => log.decide('t2', 'commit', null, 1, 'sm-1', 5));
      expect(ours).toEqual({ decision: 'abort', reason: 'other' });
      expect(await outboxRows(opened, 't2')).toEqual([]);
    });

    it('logs a pre-commit in one statement, or answers the decision that stands, or that it is fenced', async () => {
      const { log } = await openLog(target);
      for (const t of ['p1', 'p2']) await log.insertIntent({ ...intent(t), protocol: '3pc' });
      expect(await log.precommit('p1', 1)).toBe('precommitted');
      expect(await log.get('p1')).toMatchObject({ precommitted: true, decision: null });
      // Again (a retry whose reply was lost): still undecided, so pre-committed again.
      expect(await log.precommit('p1', 1)).toBe('precommitted');
      await log.decide('p2', 'abort', 'deadlock_victim', 1, 'sm-1', 5);
      expect(await log.precommit('p2', 1)).toEqual({ decision: 'abort', reason: 'deadlock_victim' });
      await expect(log.precommit('missing', 1)).rejects.toMatchObject({ code: 'not_found' });
      // Under the fence: refused, and nothing changes; refused even where a decision stands.
      await log.insertIntent({ ...intent('p4'), protocol: '3pc' });
      await log.raiseFence(2);
      await expect(log.precommit('p4', 1)).rejects.toMatchObject({ code: 'stale_token', details: { token: 1 } });
      expect(await log.get('p4')).toMatchObject({ precommitted: false, decision: null });
      await expect(log.precommit('p2', 1)).rejects.toMatchObject({ code: 'stale_token' });
      await expect(log.precommit('missing', 1)).rejects.toMatchObject({ code: 'stale_token' });
    });

    realOnly(target, noLockWaits)('answers a pre-commit with the decision that landed while it waited', async () => {
      const { log, sql } = await openLog(target);
      await log.insertIntent({ ...intent('p3'), protocol: '3pc' });
      expect(await whileDecidedElsewhere(sql!, 'p3', () => log.precommit('p3', 1))).toEqual({
        decision: 'abort',
        reason: 'other',
      });
      expect(await log.get('p3')).toMatchObject({ precommitted: false });
    });

    realOnly(target, noLockWaits)(
      'holds the fence row until it commits: a raise waits for it, then older tokens are refused',
      async () => {
        const opened = await openLog(target);
        const { log, sql } = opened;
        await log.insertIntent(intent('t3'));
        await log.insertIntent(intent('t4'));
        let release!: () => void;
        const held = new Promise<void>((resolve) => {
          release = resolve;
        });
        // Hold t3's row so that the decision blocks after taking its share lock on the fence row.
        const blocker = sql!.begin(async (tx) => {
          await tx`SELECT 1 FROM txn WHERE txn_id = 't3' FOR UPDATE`;
          await held;
        });
        const order: string[] = [];
        const decided = log.decide('t3', 'commit', null, 1, 'sm-1', 5).then((s) => {
          order.push('decided');
          return s;
        });
        await someoneWaits(sql!);
        const raised = log.raiseFence(2).then(() => order.push('raised'));
        // Wait until the raise, too, is queued on a lock (two waiters), then let the decision go on.
        await someoneWaits(sql!, 2);
        release();
        await blocker;
        expect(await decided).toEqual({ decision: 'commit', reason: null });
        await raised;
        expect(order).toEqual(['decided', 'raised']);
        await expect(log.decide('t4', 'commit', null, 1, 'sm-1', 6)).rejects.toMatchObject({ code: 'stale_token' });
        expect(await log.get('t4')).toMatchObject({ decision: null });
        expect(await outboxRows(opened, 't4')).toEqual([]);
      },
    );
  });

  describe(`close [${target.name}]`, () => {
    it('closes an open row once, decided or not; not under the fence, not a missing one, and never with an error', async () => {
      const opened = await openLog(target);
      const { log } = opened;
      for (const t of ['x1', 'x2', 'x3']) await log.insertIntent(intent(t));
      await log.decide('x1', 'commit', null, 1, 'sm-1', 5);
      await log.close('x1', 1);
      await opened.elapse(1_000);
      // A second close changes nothing: x1 keeps its first close time, a second before x2's.
      await log.close('x1', 1);
      await log.close('x2', 1);
      await log.close('missing', 1);
      const closed = await closeTimes(opened);
      expect(closed.get('x2')! - closed.get('x1')!).toBeGreaterThanOrEqual(1_000);
      expect(await log.get('x1')).toMatchObject({ closed: true });
      expect(await log.get('x2')).toMatchObject({ closed: true, decision: null });
      expect(await log.openCount()).toBe(1);
      await log.raiseFence(2);
      await log.close('x3', 1);
      expect(await log.get('x3')).toMatchObject({ closed: false });
      await log.close('x3', 2);
      expect(await log.get('x3')).toMatchObject({ closed: true });
      expect(await log.openCount()).toBe(0);
    });
  });

  describe(`group commit: calls made together each get their own outcome [${target.name}]`, () => {
    it('logs intents together, answering a repeated idempotency key and a fenced token each on its own', async () => {
      await intentsTogether(await openLog(target));
    });

    it('logs decisions together: each row decided once, with one outbox row, and the standing one told', async () => {
      await decisionsTogether(await openLog(target));
    });

    it('closes transactions together, and not one whose token is fenced', async () => {
      await closesTogether(await openLog(target));
    });

    it('with the planted bug no-fencing, accepts intents and decisions made together under the fence', async () => {
      const opened = await target.open({ fencing: false });
      const { log } = opened;
      await log.raiseFence(2);
      const intents = await Promise.allSettled([
        log.insertIntent(intent('n1', 1, 'key-n')),
        log.insertIntent(intent('n2', 0)),
        log.insertIntent(intent('n3', 1, 'key-n')),
      ]);
      expect(outcomesOf(intents)).toEqual(['inserted', 'inserted', 'duplicate-key']);
      const decisions = await Promise.allSettled([
        log.decide('n1', 'commit', null, 1, 'sm-1', 5),
        log.decide('n2', 'abort', null, 0, 'sm-1', 5),
        log.decide('missing', 'abort', null, 0, 'sm-1', 5),
      ]);
      expect(outcomesOf(decisions)).toEqual([
        { decision: 'commit', reason: null },
        { decision: 'abort', reason: null },
        'not_found',
      ]);
      expect((await opened.outbox()).map((r) => [r.txnId, r.token])).toEqual([
        ['n1', 1],
        ['n2', 0],
      ]);
      // Closes have no switch for the bug: fenced, together as alone.
      await Promise.all([log.close('n1', 1), log.close('n2', 0)]);
      expect(await log.openCount()).toBe(2);
    });

    realOnly(target, 'statements to share: each call is its own atomic step')(
      'the calls made together above share one statement',
      async () => {
        let opened = await openLog(target);
        await intentsTogether(opened);
        expect(await writers(opened.sql!, ['g1', 'g3'])).toHaveProperty('size', 1);
        opened = await openLog(target);
        await decisionsTogether(opened);
        expect(await writers(opened.sql!, ['d1', 'd4'])).toHaveProperty('size', 1);
        opened = await openLog(target);
        await closesTogether(opened);
        expect(await writers(opened.sql!, ['c1', 'c2'])).toHaveProperty('size', 1);
      },
    );
  });
}

async function intentsTogether({ log }: OpenedLog): Promise<void> {
  await log.insertIntent(intent('g0', 1, 'key-0'));
  const outcomes = await Promise.allSettled([
    log.insertIntent(intent('g1', 1, 'key-1')),
    log.insertIntent(intent('g2', 1, 'key-0')),
    log.insertIntent(intent('g3', 1, 'key-3')),
    log.insertIntent(intent('g4', 1, 'key-3')),
    log.insertIntent(intent('g5', 0)),
  ]);
  expect(outcomesOf(outcomes)).toEqual(['inserted', 'duplicate-key', 'inserted', 'duplicate-key', 'stale_token']);
  for (const t of ['g2', 'g4', 'g5']) expect(await log.get(t)).toBeUndefined();
}

async function decisionsTogether(opened: OpenedLog): Promise<void> {
  const { log } = opened;
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
  expect(outcomesOf(outcomes)).toEqual([
    { decision: 'commit', reason: null },
    { decision: 'abort', reason: 'earlier' },
    'stale_token',
    { decision: 'abort', reason: 'no_credit' },
    { decision: 'commit', reason: null },
  ]);
  expect(await outboxRows(opened, 'd1')).toEqual([{ outcome: 'commit', token: 1 }]);
  expect(await outboxRows(opened, 'd2')).toEqual([{ outcome: 'abort', token: 1 }]);
  expect(await outboxRows(opened, 'd3')).toEqual([]);
  expect(await outboxRows(opened, 'd4')).toEqual([{ outcome: 'abort', token: 1 }]);
}

async function closesTogether({ log }: OpenedLog): Promise<void> {
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
  expect(await log.openCount()).toBe(1);
}

/** Each row's close time as the evidence gives it (ms, to the microsecond). */
async function closeTimes(opened: OpenedLog): Promise<Map<string, number>> {
  const rows = await txlogStatements.run(opened.evidence, 'evidence_txn');
  return new Map(rows.map((r) => [String(r.txn_id), Number(r.closed_ms)]));
}

/** The transaction that last wrote each row: rows written by one statement share it. */
async function writers(sql: Sql, txnIds: string[]): Promise<Set<string>> {
  const rows = await sql`SELECT xmin::text AS x FROM txn WHERE txn_id IN ${sql(txnIds)}`;
  expect(rows).toHaveLength(txnIds.length);
  return new Set(rows.map((r) => String(r.x)));
}
