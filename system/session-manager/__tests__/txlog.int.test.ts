// The transaction log, one test body against two targets: the real PostgresTxLog on a private PostgreSQL, and the
// simulator's model of the coordinator database (harness/sim/models/txlog.ts). The real target proves a case right, the
// model target that the model matches it. Here: the fence (an intent or a decision under it is refused and changes
// nothing, accepted only with the planted bug no-fencing; a raise never lowers it and is logged once); the intent's
// guards (idempotency key, fence, txn id); a leader cut off mid-transaction while holding the fence row does not
// keep the next leader from raising the fence (real server only); the finisher's view of unfinished transactions;
// the reads; and the evidence the rig reads after a run.
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../../harness/sim/kernel.ts';
import { TxLogModel } from '../../../harness/sim/models/txlog.ts';
import { readTxnLog, readUnfinished } from '../evidence.ts';
import { PostgresTxLog, txlogStatements } from '../txlog.ts';
import { intent as intentRow, realOnly, targets } from './txlog-fixture.ts';

const intent = (txnId: string, token: number) => intentRow(txnId, token, `client:${txnId}`);
const noVotes = new Map();
const asMs = (ms: number) => ms;

for (const target of targets('coordinator')) {
  describe(`transaction log fencing [${target.name}]`, () => {
    it('refuses an intent and a decision under the fence, and neither changes anything', async () => {
      const { log } = await target.open();
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

    it('accepts intents, pre-commits and decisions under the fence only with the planted bug no-fencing; closes and raises stay fenced', async () => {
      const { log } = await target.open({ fencing: false });
      await log.raiseFence(2);
      expect(await log.insertIntent(intent('t1', 1))).toBe('inserted');
      expect(await log.decide('t1', 'commit', null, 1, 'sm-1', 0)).toEqual({ decision: 'commit', reason: null });
      expect(await log.get('t1')).toMatchObject({ token: 1, decisionToken: 1 });
      expect(await log.insertIntent({ ...intent('t2', 1), protocol: '3pc' })).toBe('inserted');
      expect(await log.precommit('t2', 1)).toBe('precommitted');
      // close.sql has no switch for the planted bug: a close under the fence is still refused (silently).
      await log.close('t1', 1);
      expect(await log.get('t1')).toMatchObject({ closed: false });
      await expect(log.raiseFence(1)).rejects.toMatchObject({ code: 'stale_token', details: { token: 1 } });
    });

    it('raises the fence, never lowers it, and logs each epoch once, at its first raise, by the database clock', async () => {
      const opened = await target.open();
      const { log } = opened;
      // A fresh fence stands at 0: raising it to 0 "raises" it to its own epoch, and logs that.
      await log.raiseFence(0);
      await log.raiseFence(2);
      await opened.elapse(1_000);
      await log.raiseFence(2);
      await expect(log.raiseFence(1)).rejects.toMatchObject({ code: 'stale_token', details: { token: 1 } });
      expect(await log.insertIntent(intent('t2', 2))).toBe('inserted');
      await expect(log.insertIntent(intent('t1', 1))).rejects.toMatchObject({ code: 'stale_token' });
      await log.raiseFence(5);
      const { writes } = await readTxnLog(opened.evidence, noVotes, asMs);
      const raises = writes.filter((w) => w.key === 'fence');
      expect(raises.map((w) => w.token)).toEqual([0, 2, 5]);
      // The second raise to 2 kept the first one's time: 5 was raised at least 1 s after it.
      expect(raises[2]!.at - raises[1]!.at).toBeGreaterThanOrEqual(1_000);
    });

    realOnly(
      target,
      'transactions across round trips: no call can hold the fence row (see harness/sim/models/txlog.ts)',
    )('raises the fence while a cut-off leader sits in a transaction holding the fence row', async () => {
      const { sql } = await target.open({ idleInTransactionMs: 300 });
      // The raise's own deadline is far longer than the server's idle-in-transaction limit: it must get through
      // because the server ends the idle holder, not because it gave up.
      const log = await PostgresTxLog.open(sql!, 20_000);
      let release!: () => void;
      const hold = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked!: () => void;
      const holding = new Promise<void>((resolve) => {
        locked = resolve;
      });
      // A decision's first step, then silence, as when the partition holds the leader's next statement.
      const holder = sql!.begin(async (tx) => {
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

  describe(`intents [${target.name}]`, () => {
    it('logs an intent once per idempotency key; a logged key is a duplicate, even under the fence', async () => {
      const { log } = await target.open();
      await log.raiseFence(1);
      expect(await log.insertIntent(intentRow('i1', 1, 'key-1'))).toBe('inserted');
      expect(await log.insertIntent(intentRow('i2', 1, 'key-1'))).toBe('duplicate-key');
      await log.raiseFence(2);
      // The fence refused it, but the key is logged: the adapter answers what the caller can act on.
      expect(await log.insertIntent(intentRow('i3', 1, 'key-1'))).toBe('duplicate-key');
      await expect(log.insertIntent(intentRow('i4', 1, 'key-4'))).rejects.toMatchObject({
        code: 'stale_token',
        details: { token: 1 },
      });
      expect(await log.many(['i2', 'i3', 'i4'])).toEqual([]);
      expect(await log.byIdempotencyKey('key-1')).toMatchObject({ txnId: 'i1', idempotencyKey: 'key-1' });
    });

    it('logs any number of intents without a key; a txn id logged already is a unique violation', async () => {
      const { log } = await target.open();
      expect(await log.insertIntent(intentRow('n1', 1))).toBe('inserted');
      expect(await log.insertIntent(intentRow('n2', 1))).toBe('inserted');
      await expect(log.insertIntent(intentRow('n1', 1))).rejects.toMatchObject({
        code: '23505',
        constraint_name: 'txn_pkey',
      });
      // A taken key wins over a taken txn id: ON CONFLICT names the key's index, so that conflict is checked first.
      expect(await log.insertIntent(intentRow('k1', 1, 'key-k'))).toBe('inserted');
      expect(await log.insertIntent(intentRow('k1', 1, 'key-k'))).toBe('duplicate-key');
      expect(await log.openCount()).toBe(3);
    });

    it('refuses a token that is not a whole number, as the bigint it is bound to', async () => {
      const { log } = await target.open();
      await expect(log.insertIntent(intentRow('w1', 1.5))).rejects.toMatchObject({ code: '22P02' });
      expect(await log.get('w1')).toBeUndefined();
    });
  });

  describe(`unfinished transactions [${target.name}]`, () => {
    it('gives an undecided one at once, a decided one only once its decision is settleMs old, a closed one never', async () => {
      const opened = await target.open();
      const { log } = opened;
      await log.raiseFence(1);
      for (const id of ['u1', 'd1', 'c1']) await log.insertIntent(intent(id, 1));
      await log.decide('d1', 'commit', null, 1, 'sm-1', 0);
      await log.decide('c1', 'abort', null, 1, 'sm-1', 0);
      await log.close('c1', 1);
      const ids = async (settleMs: number, limit = 10) => (await log.unfinished(limit, settleMs)).map((r) => r.txnId);
      expect(await ids(60_000)).toEqual(['u1']);
      // Ten minutes on, by the database's clock: old enough for any settle time up to that.
      await opened.elapse(10 * 60_000);
      expect(await ids(60_000)).toEqual(['u1', 'd1']);
      expect(await ids(0)).toEqual(['u1', 'd1']);
      expect(await ids(60_000, 1)).toEqual(['u1']);
      // Oldest first: a newer intent comes after them, and a newer decision waits out its own settle time.
      await log.insertIntent(intent('u2', 1));
      await log.insertIntent(intent('d2', 1));
      await log.decide('d2', 'commit', null, 1, 'sm-1', 0);
      expect(await ids(60_000)).toEqual(['u1', 'd1', 'u2']);
    });
  });

  describe(`reads [${target.name}]`, () => {
    it('reads a row by txn id, by idempotency key, several at once, and counts the open ones', async () => {
      const { log } = await target.open();
      await log.raiseFence(1);
      await log.insertIntent({ ...intentRow('r1', 1, 'key-r1'), protocol: '3pc', kind: 'modify' });
      await log.insertIntent(intentRow('r2', 1));
      await log.insertIntent(intentRow('r3', 1));
      await log.precommit('r1', 1);
      await log.decide('r1', 'commit', null, 1, 'sm-2', 5);
      await log.close('r3', 1);
      const r1 = await log.get('r1');
      expect(r1).toEqual({
        txnId: 'r1',
        sessionId: 'ses-r1',
        protocol: '3pc',
        kind: 'modify',
        token: 1,
        node: 'sm-1',
        request: intentRow('r1').request,
        idempotencyKey: 'key-r1',
        decision: 'commit',
        reason: null,
        decisionToken: 1,
        precommitted: true,
        createdAtMs: r1!.createdAtMs,
        closed: false,
      });
      expect(Number.isSafeInteger(r1!.createdAtMs)).toBe(true);
      expect(await log.byIdempotencyKey('key-r1')).toEqual(r1);
      expect(await log.byIdempotencyKey('key-none')).toBeUndefined();
      expect(await log.get('none')).toBeUndefined();
      expect(await log.many([])).toEqual([]);
      const many = await log.many(['r3', 'none', 'r1', 'r3']);
      expect(many.map((r) => [r.txnId, r.closed]).sort()).toEqual([
        ['r1', false],
        ['r3', true],
      ]);
      expect(await log.openCount()).toBe(2);
    });
  });

  describe(`evidence [${target.name}]`, () => {
    it('gives the rig the log, its fenced writes with the database times, and what is left unfinished', async () => {
      const opened = await target.open();
      const { log } = opened;
      await log.raiseFence(1);
      await log.insertIntent({ ...intent('e1', 1), node: 'sm-1' });
      await log.insertIntent({ ...intentRow('e2', 1), request: { ...intentRow('e2').request, trafficClass: 'data' } });
      await opened.elapse(5);
      await log.raiseFence(2);
      await log.decide('e1', 'abort', 'no_credit', 2, 'sm-2', 7);
      await log.close('e1', 2);
      expect(await readUnfinished(opened.evidence)).toEqual({ open: 1, unsent: 1 });
      const { txns, writes } = await readTxnLog(opened.evidence, new Map([['e1', { rm: 'yes' as const }]]), asMs);
      const [e1, e2] = txns;
      expect(e1).toMatchObject({
        kind: 'txn',
        txnId: 'e1',
        sessionId: 'ses-e1',
        requestId: 'e1',
        protocol: '2pc',
        action: 'create',
        trafficClass: 'voice',
        state: 'aborted',
        votes: { rm: 'yes' },
        reason: 'no_credit',
        token: 1,
        decisionToken: 2,
        decidedBy: 'sm-2',
      });
      expect(e1!.decidedAt! - e1!.createdAt).toBeGreaterThanOrEqual(5);
      expect(e1!.endedAt).toBeGreaterThanOrEqual(e1!.decidedAt!);
      expect(e2).toMatchObject({ txnId: 'e2', trafficClass: 'data', state: 'pending', token: 1 });
      for (const absent of [e2!.requestId, e2!.decidedAt, e2!.decisionToken, e2!.decidedBy, e2!.endedAt]) {
        expect(absent).toBeUndefined();
      }
      expect(writes.map((w) => [w.key, w.token, w.node])).toEqual([
        ['fence', 1, undefined],
        ['fence', 2, undefined],
        ['intent:e1', 1, 'sm-1'],
        ['intent:e2', 1, 'sm-1'],
        ['e1', 2, 'sm-2'],
      ]);
      // A write under token 2 is dated after the raise to 2; the intents before it.
      const at = new Map(writes.map((w) => [`${w.key}/${w.token}`, w.at]));
      expect(at.get('intent:e2/1')).toBeLessThan(at.get('fence/2')!);
      expect(at.get('e1/2')).toBeGreaterThanOrEqual(at.get('fence/2')!);
    });

    it('answers the evidence statements with the column types postgres.js gives: bigints and times as text', async () => {
      const opened = await target.open();
      await opened.log.raiseFence(1);
      await opened.log.insertIntent(intent('m1', 1));
      await opened.log.insertIntent(intentRow('m2', 1));
      await opened.log.decide('m1', 'commit', null, 1, 'sm-1', 5);
      await opened.log.close('m1', 1);
      const types = (rows: Record<string, unknown>[]) =>
        rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? 'null' : typeof v])));
      const [txn, fence, unfinished] = await Promise.all(
        ['evidence_txn', 'evidence_fence_log', 'evidence_unfinished'].map((n) =>
          txlogStatements.run(opened.evidence, n),
        ),
      );
      const text = { txn_id: 'string', session_id: 'string', protocol: 'string', kind: 'string' };
      const common = { ...text, traffic_class: 'string', node: 'string', token: 'string', created_ms: 'string' };
      expect(types(txn!)).toEqual([
        {
          ...common,
          idempotency_key: 'string',
          decision: 'string',
          reason: 'null',
          decision_token: 'string',
          decided_by: 'string',
          decided_ms: 'string',
          closed_ms: 'string',
        },
        {
          ...common,
          idempotency_key: 'null',
          decision: 'null',
          reason: 'null',
          decision_token: 'null',
          decided_by: 'null',
          decided_ms: 'null',
          closed_ms: 'null',
        },
      ]);
      // extract(epoch ...) * 1000: milliseconds with the microseconds as decimals.
      for (const t of [txn![0]!.created_ms, txn![0]!.decided_ms, fence![0]!.raised_ms]) {
        expect(t).toMatch(/^\d+\.\d{6}$/);
      }
      expect(types(fence!)).toEqual([{ epoch: 'string', raised_ms: 'string' }]);
      expect(unfinished).toEqual([{ open: 1, unsent: 1 }]);
    });
  });
}

describe('the model alone', () => {
  it('answers no statement but the evidence ones, and names the one it was given', async () => {
    const { evidence } = new TxLogModel(new Kernel(1).clock('coordinator-db'), { fencing: true });
    await expect(evidence.unsafe('SELECT 1')).rejects.toThrow(/no evidence statement "SELECT 1"/);
    await expect(evidence.unsafe(txlogStatements.text('decide'), [])).rejects.toThrow(/decide\.sql/);
  });
});
