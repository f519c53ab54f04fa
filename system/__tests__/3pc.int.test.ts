// Three-phase commit through real processes: a 3PC session is pre-committed durably at both participants before it
// commits; a no vote aborts it before any pre-commit. Then the leader is crashed at each of its named steps (armed
// through its signed /admin/faults) and a participant at its pre-commit step; after recovery by the next leader the
// transaction has one outcome in the log, the DSM and both participants, and it is the one 3PC's rules give: commit
// once the decision to pre-commit was logged, abort before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrashPoint } from '../common/faults.ts';
import {
  eventually,
  leaderOtherThan,
  preparedAt,
  type SystemFixture,
  setFaults,
  settledOutcome,
  startSystem,
  subscriber,
} from './support.ts';

let sys: SystemFixture;
beforeAll(async () => {
  sys = await startSystem({ extraEnv: { RIG_LEASE_TTL_MS: '1000', RIG_RECOVERY_INTERVAL_MS: '200' } });
});
afterAll(async () => {
  await sys?.stop();
});

const threePc = (i: number) => ({ subscriberId: subscriber(i), trafficClass: 'voice', protocol: '3pc' });

async function txnIdOfKey(key: string): Promise<string> {
  return eventually(async () => {
    const [row] = await sys.db.coordinator`SELECT txn_id FROM txn WHERE idempotency_key = ${`client:${key}`}`;
    return row?.txn_id as string | undefined;
  }, `the intent of ${key}`);
}

async function precommitRows(txnId: string): Promise<number> {
  const [rm] = await sys.db.rm`SELECT count(*)::int AS n FROM participant_precommit WHERE txn_id = ${txnId}`;
  const [billing] = await sys.db.billing`SELECT count(*)::int AS n FROM participant_precommit WHERE txn_id = ${txnId}`;
  return rm!.n + billing!.n;
}

describe('3PC', () => {
  it('pre-commits durably at both participants, then commits everywhere', async () => {
    const r = await sys.createSession(threePc(1));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ outcome: 'committed', protocol: '3pc' });
    expect(r.body.timings).toMatchObject({ precommitMs: expect.any(Number), queueMs: expect.any(Number) });
    const txnId = String(r.body.txnId);
    expect(await settledOutcome(sys, txnId)).toBe('commit');
    expect(await precommitRows(txnId)).toBe(2);
    const [row] = await sys.db.coordinator`SELECT precommitted_at IS NOT NULL AS p FROM txn WHERE txn_id = ${txnId}`;
    expect(row?.p).toBe(true);
    const leader = await sys.leader();
    const order = sys
      .observations(leader, 'precommit-logged')
      .concat(sys.observations(leader, 'decision'))
      .filter((o) => o.txnId === txnId)
      .map((o) => o.obs);
    expect(order).toEqual(['precommit-logged', 'decision']);
  });

  it('aborts on a no vote without pre-committing anywhere', async () => {
    await setFaults(sys, 'billing', { abortProbability: 1 });
    try {
      const r = await sys.createSession(threePc(2));
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ outcome: 'aborted', reason: 'injected', protocol: '3pc' });
      const txnId = String(r.body.txnId);
      expect(await settledOutcome(sys, txnId)).toBe('abort');
      expect(await precommitRows(txnId)).toBe(0);
    } finally {
      await setFaults(sys, 'billing', {});
    }
  });

  const expected: Array<[CrashPoint, 'commit' | 'abort']> = [
    ['after-intent-logged', 'abort'],
    ['after-prepare-sent', 'abort'],
    ['after-precommit-logged', 'commit'],
    ['after-one-precommit-sent', 'commit'],
    ['after-decision-logged', 'commit'],
    ['after-one-commit-sent', 'commit'],
  ];
  it.each(expected)('recovers a leader crash at %s to one outcome everywhere: %s', async (point, outcome) => {
    const old = await sys.leader();
    await setFaults(sys, old, { crashPoints: [point] });
    const key = `3pc-crash-${point}`;
    const answer = sys.createSession(threePc(10 + expected.findIndex(([p]) => p === point)), {
      'idempotency-key': key,
    });
    await sys.cluster.services.get(old)!.proc.exited;
    const next = await leaderOtherThan(sys, old);
    expect(next).not.toBe(old);
    const txnId = await txnIdOfKey(key);
    expect(await settledOutcome(sys, txnId)).toBe(outcome);
    // The client learns the same outcome (or, if its deadline passed first, that it is unknown).
    const r = await answer;
    expect([outcome === 'commit' ? 201 : 409, 504]).toContain(r.status);
    expect(await preparedAt(sys, 'rm')).toEqual([]);
    expect(await preparedAt(sys, 'billing')).toEqual([]);
    await sys.cluster.restart(old);
  });

  it('aborts when a participant dies after recording its pre-commit, once it is back', async () => {
    await setFaults(sys, 'rm', { crashPoints: ['participant-after-precommit'] });
    const key = '3pc-participant-crash';
    const answer = sys.createSession(threePc(30), { 'idempotency-key': key });
    await sys.cluster.services.get('rm')!.proc.exited;
    const txnId = await txnIdOfKey(key);
    const r = await answer;
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body).toMatchObject({ reason: 'precommit_failed' });
    // Restarted without the crash point (faults are run-time settings), it still holds the pre-committed txn,
    // and the leader's retried abort rolls it back.
    await sys.cluster.restart('rm');
    expect(await settledOutcome(sys, txnId)).toBe('abort');
    expect(await preparedAt(sys, 'rm')).toEqual([]);
  });
});
