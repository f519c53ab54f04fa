// The transaction log against a real PostgreSQL: an intent or a decision under the fence is refused and changes
// nothing (accepted only with the planted bug no-fencing), and a leader cut off mid-transaction while holding the
// fence row does not keep the next leader from raising the fence. The finisher's view of unfinished transactions.
import { describe, expect, it } from 'vitest';
import { PostgresTxLog } from '../txlog.ts';
import { coordinatorDatabases, intent as intentRow } from './txlog-fixture.ts';

/** A fresh, empty coordinator database and a pool on it. */
const database = coordinatorDatabases('coordinator');
const intent = (txnId: string, token: number) => intentRow(txnId, token, `client:${txnId}`);

describe('transaction log fencing', () => {
  it('refuses an intent and a decision under the fence, and neither changes anything', async () => {
    const log = await PostgresTxLog.open(await database(), 10_000);
    await log.insertIntent(intent('t1', 1));
    await log.raiseFence(2);
    await expect(log.insertIntent(intent('t2', 1))).rejects.toMatchObject({ code: 'stale_token' });
    await expect(log.decide('t1', 'commit', null, 1, 'sm-1', 0)).rejects.toMatchObject({ code: 'stale_token' });
    expect(await log.get('t2')).toBeUndefined();
    expect(await log.get('t1')).toMatchObject({ decision: null });
    expect(await log.decide('t1', 'abort', 'recovered', 2, 'sm-2', 0)).toEqual({
      decision: 'abort',
      reason: 'recovered',
    });
  });

  it('accepts both under the fence only with the planted bug no-fencing', async () => {
    const log = await PostgresTxLog.open(await database(), 10_000, false);
    await log.raiseFence(2);
    expect(await log.insertIntent(intent('t1', 1))).toBe('inserted');
    expect(await log.decide('t1', 'commit', null, 1, 'sm-1', 0)).toEqual({ decision: 'commit', reason: null });
    expect(await log.get('t1')).toMatchObject({ token: 1, decisionToken: 1 });
  });

  it('raises the fence while a cut-off leader sits in a transaction holding the fence row', async () => {
    const sql = await database(300);
    // The raise's own deadline is far longer than the server's idle-in-transaction limit: it must get through
    // because the server ends the idle holder, not because it gave up.
    const log = await PostgresTxLog.open(sql, 20_000);
    let release!: () => void;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => {
      locked = resolve;
    });
    // A decision's first step, then silence, as when the partition holds the leader's next statement.
    const holder = sql.begin(async (tx) => {
      await tx`SELECT epoch FROM fence WHERE id = 1 FOR SHARE`;
      locked();
      await hold;
      await tx`UPDATE txn SET reason = 'late' WHERE false`;
    });
    const holderOutcome = holder.then(
      () => 'committed',
      () => 'ended by the server',
    );
    await holding;
    await log.raiseFence(2);
    release();
    expect(await holderOutcome).toBe('ended by the server');
    await expect(log.insertIntent(intent('t1', 1))).rejects.toMatchObject({ code: 'stale_token' });
  });
});

describe('unfinished transactions', () => {
  it('gives an undecided one at once, a decided one only once its decision is settleMs old, a closed one never', async () => {
    const sql = await database();
    const log = await PostgresTxLog.open(sql, 10_000);
    await log.raiseFence(1);
    for (const id of ['u1', 'd1', 'c1']) await log.insertIntent(intent(id, 1));
    await log.decide('d1', 'commit', null, 1, 'sm-1', 0);
    await log.decide('c1', 'abort', null, 1, 'sm-1', 0);
    await log.close('c1', 1);
    const ids = async (settleMs: number) => (await log.unfinished(10, settleMs)).map((r) => r.txnId);
    expect(await ids(60_000)).toEqual(['u1']);
    // Ten minutes ago, by the database's clock: old enough for any settle time up to that.
    await sql`UPDATE txn SET decided_at = clock_timestamp() - interval '10 minutes' WHERE txn_id = 'd1'`;
    expect(await ids(60_000)).toEqual(['u1', 'd1']);
    expect(await ids(0)).toEqual(['u1', 'd1']);
  });
});
