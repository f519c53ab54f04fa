// Failures of the coordinator itself, with real signals: a killed leader is replaced and its in-flight
// transactions end with one outcome everywhere; a paused leader that wakes after its lease expired gets no stale
// write accepted; a crash between the decision and the event append still yields exactly one event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type SystemFixture, startSystem, subscriber, txnEverywhere } from './support.ts';

const leaseTtlMs = 1000;
let sys: SystemFixture;
beforeAll(async () => {
  sys = await startSystem({ extraEnv: { RIG_LEASE_TTL_MS: String(leaseTtlMs), RIG_RECOVERY_INTERVAL_MS: '200' } });
});
afterAll(async () => {
  await sys?.stop();
});

const timeoutMs = 10_000;

async function setFaults(node: string, settings: unknown) {
  const r = await sys.peer(node).call('PUT', '/admin/faults', settings, { timeoutMs });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

async function readyLeaderOtherThan(old: string): Promise<string> {
  return eventually(
    async () => {
      const l = await sys.leader();
      return l !== old ? l : undefined;
    },
    `a leader other than ${old}`,
    leaseTtlMs + 15_000,
  );
}

/** Every logged transaction is closed and the log, the DSM and both participants agree on its outcome. */
async function assertAllConsistent(txnIds?: string[]) {
  await eventually(async () => {
    const [open] = await sys.db.coordinator`SELECT count(*)::int AS n FROM txn WHERE closed_at IS NULL`;
    return open!.n === 0 ? true : undefined;
  }, 'every transaction closed');
  const rows = await sys.db.coordinator`SELECT txn_id, session_id, decision FROM txn`;
  for (const row of rows) {
    if (txnIds && !txnIds.includes(row.txn_id)) continue;
    const want = row.decision === 'commit' ? 'committed' : 'aborted';
    for (const p of ['rm', 'billing']) {
      const s = await sys.peer(p).call<{ state: string }>('GET', `/v1/txn/${row.txn_id}`, undefined, { timeoutMs });
      // A participant that never saw the prepare keeps a tombstone (aborted) or nothing (unknown) after an abort.
      if (want === 'aborted') expect(['aborted', 'unknown'], `${p} ${row.txn_id}`).toContain(s.body.state);
      else expect(s.body.state, `${p} ${row.txn_id}`).toBe('committed');
    }
    const dsm = await sys.redis.hget(`dsm:session:${row.session_id}`, 'record');
    expect(JSON.parse(dsm!).status, `DSM ${row.session_id}`).toBe(want.toUpperCase());
  }
  const prepared = await sys.db.rm`SELECT gid FROM pg_prepared_xacts`;
  expect(prepared).toEqual([]);
  return rows;
}

describe('coordinator failures', () => {
  it('replaces a killed leader and recovers its in-flight transactions to one outcome everywhere', async () => {
    const old = await sys.leader();
    await setFaults('rm', { latency: { '*': { ms: 200, jitterMs: 100 } } });
    const inflight = Array.from({ length: 16 }, (_, i) =>
      sys.createSession({ subscriberId: subscriber(100 + i), trafficClass: 'voice', protocol: '2pc' }),
    );
    await eventually(async () => {
      const [r] = await sys.db.coordinator`SELECT count(*)::int AS n FROM txn WHERE closed_at IS NULL`;
      return r!.n >= 3 ? true : undefined;
    }, 'some transactions in flight');
    const killedAt = Date.now();
    await sys.cluster.kill(old);
    const next = await readyLeaderOtherThan(old);
    const failoverMs = Date.now() - killedAt;
    console.log(`failover: ${old} killed, ${next} ready after ${failoverMs} ms (lease TTL ${leaseTtlMs} ms)`);
    const answers = await Promise.all(inflight);
    await setFaults('rm', {});
    const rows = await assertAllConsistent();
    const decisionOf = new Map(rows.map((r) => [r.txn_id as string, r.decision as string]));
    for (const a of answers) {
      expect([201, 409, 504]).toContain(a.status);
      if (a.status === 201) expect(decisionOf.get(String(a.body.txnId))).toBe('commit');
      if (a.status === 409) expect(decisionOf.get(String(a.body.txnId))).toBe('abort');
    }
    await sys.cluster.restart(old);
  });

  it('gets no stale write accepted from a paused leader resumed after its lease expired', async () => {
    const old = await sys.leader();
    const [{ epoch: oldEpoch }] = (await sys.db.coordinator`SELECT epoch::int FROM fence`) as unknown as [
      { epoch: number },
    ];
    await setFaults('rm', { latency: { '*': { ms: 600, jitterMs: 0 } } });
    // Straight to the old leader (no gateway retries), so its handlers are mid-transaction when it stops.
    const direct = Array.from({ length: 4 }, (_, i) =>
      sys
        .peer(old)
        .call<Record<string, unknown>>(
          'POST',
          '/v1/sessions',
          { subscriberId: subscriber(200 + i), trafficClass: 'data', protocol: '2pc' },
          { timeoutMs: 30_000 },
        )
        .catch((err: Error) => ({ status: 0, body: { error: err.message } as Record<string, unknown> })),
    );
    await eventually(async () => {
      const [r] = await sys.db
        .coordinator`SELECT count(*)::int AS n FROM txn WHERE token = ${oldEpoch} AND closed_at IS NULL`;
      return r!.n >= 1 ? true : undefined;
    }, 'the old leader has transactions in flight');
    const pausedAt = Date.now();
    sys.cluster.pause(old);
    try {
      const next = await readyLeaderOtherThan(old);
      await setFaults('rm', {});
      // The new leader writes: its token is now the highest every store has seen.
      const fresh = await sys.createSession({ subscriberId: subscriber(210), trafficClass: 'voice', protocol: '2pc' });
      expect(fresh.status, JSON.stringify(fresh.body)).toBe(201);
      expect(next).not.toBe(old);
    } finally {
      sys.cluster.resume(old);
    }
    const answers = await Promise.all(direct);
    // The old leader answers a transaction it could not decide (fenced) at once; the new leader's recovery pass
    // decides it a little later.
    const mine = await eventually(async () => {
      const rows = await sys.db.coordinator`
        SELECT txn_id, decision, decision_token::int AS t, extract(epoch FROM decided_at) * 1000 AS decided_ms
        FROM txn WHERE request->>'subscriberId' IN ${sys.db.coordinator([200, 201, 202, 203].map(subscriber))}`;
      return rows.length > 0 && rows.every((r) => r.decision !== null) ? rows : undefined;
    }, 'every transaction of the paused leader decided');
    await assertAllConsistent(mine.map((r) => r.txn_id as string));
    for (const r of mine) {
      // A decision under the old token can only have been taken before the pause; everything else was decided
      // by the new leader, under its newer token.
      if (r.t === oldEpoch) expect(Number(r.decided_ms)).toBeLessThan(pausedAt);
      else expect(r.t).toBeGreaterThan(oldEpoch);
      const answer = answers.find((a) => a.body.txnId === r.txn_id);
      if (answer?.status === 201) expect(r.decision).toBe('commit');
      if (answer?.status === 409) expect(r.decision).toBe('abort');
    }
    const steps = sys.observations(old, 'leadership').filter((o) => o.event === 'step-down' && o.epoch === oldEpoch);
    expect(steps.length).toBeGreaterThan(0);
  });

  it('answers requests in flight at a paused leader through the new leader, each once, while the old one sleeps', async () => {
    const old = await sys.leader();
    const [{ epoch: oldEpoch }] = (await sys.db.coordinator`SELECT epoch::int FROM fence`) as unknown as [
      { epoch: number },
    ];
    await setFaults('rm', { latency: { '*': { ms: 400, jitterMs: 0 } } });
    const subscribers = Array.from({ length: 8 }, (_, i) => subscriber(400 + i));
    let pausedAt = 0;
    const answered: Array<{ key: string; status: number; body: Record<string, unknown>; afterPauseMs: number }> = [];
    const inflight = subscribers.map(async (subscriberId, i) => {
      const key = `pause-inflight-${i}`;
      const r = await sys.createSession(
        { subscriberId, trafficClass: 'data', protocol: '2pc' },
        { 'idempotency-key': key },
      );
      answered.push({ key, status: r.status, body: r.body, afterPauseMs: Date.now() - pausedAt });
    });
    await eventually(async () => {
      const [r] = await sys.db
        .coordinator`SELECT count(*)::int AS n FROM txn WHERE token = ${oldEpoch} AND closed_at IS NULL`;
      return r!.n >= 2 ? true : undefined;
    }, 'the old leader has transactions in flight');
    pausedAt = Date.now();
    sys.cluster.pause(old);
    try {
      // Every request is answered while the old leader still sleeps: through the new leader, not by waiting it out.
      await Promise.all(inflight);
      const next = await sys.leader();
      expect(next).not.toBe(old);
      console.log(
        `paused leader ${old}: ${answered.length} requests in flight answered ${answered.map((a) => a.afterPauseMs).join(', ')} ms after the pause (lease TTL ${leaseTtlMs} ms)`,
      );
    } finally {
      sys.cluster.resume(old);
      await setFaults('rm', {});
    }
    for (const a of answered) expect([201, 409], `${a.key}: ${JSON.stringify(a.body)}`).toContain(a.status);
    const rows = await sys.db.coordinator`
      SELECT txn_id, session_id, decision, idempotency_key FROM txn
      WHERE idempotency_key LIKE 'client:pause-inflight-%'`;
    // One transaction per key: the retries at the new leader found the old leader's intent, or made the only one.
    expect(rows.map((r) => r.idempotency_key).sort()).toEqual(answered.map((a) => `client:${a.key}`).sort());
    await assertAllConsistent(rows.map((r) => r.txn_id as string));
    for (const a of answered) {
      const row = rows.find((r) => r.idempotency_key === `client:${a.key}`)!;
      expect(a.body.txnId).toBe(row.txn_id);
      expect(row.decision).toBe(a.status === 201 ? 'commit' : 'abort');
    }
    // No session twice: one committed session per 201, in the DSM and at the resource manager.
    const committed = rows.filter((r) => r.decision === 'commit').map((r) => r.session_id as string);
    expect(committed.length).toBe(answered.filter((a) => a.status === 201).length);
    expect(new Set(committed).size).toBe(committed.length);
  });

  it.each(['after-decision-logged', 'relay-after-append'])(
    'emits exactly one event when the leader crashes at %s',
    async (point) => {
      const old = await sys.leader();
      await setFaults(old, { crashPoints: [point] });
      const r = await sys.createSession(
        { subscriberId: subscriber(300), trafficClass: 'video', protocol: '2pc' },
        { 'idempotency-key': `crash-${point}` },
      );
      await sys.cluster.services.get(old)!.proc.exited;
      const [row] = await sys.db
        .coordinator`SELECT txn_id, decision FROM txn WHERE idempotency_key = ${`client:crash-${point}`}`;
      expect(row?.decision).toBe('commit');
      expect(r.status).toBe(201);
      await eventually(async () => {
        const [o] = await sys.db.coordinator`SELECT sent_at FROM outbox WHERE txn_id = ${row!.txn_id}`;
        return o?.sent_at ? true : undefined;
      }, 'the outbox row marked sent by the next leader');
      const entries = await sys.redis.xrange('session-events', '-', '+');
      expect(entries.filter(([, f]) => f.includes(row!.txn_id))).toHaveLength(1);
      await sys.cluster.restart(old);
    },
  );

  it('finishes a modify whose leader crashed after logging its decision: the next leader writes the changed session', async () => {
    const created = await sys.createSession({ subscriberId: subscriber(301), trafficClass: 'data', protocol: '3pc' });
    expect(created.status).toBe(201);
    const id = String(created.body.sessionId);
    const old = await sys.leader();
    await setFaults(old, { crashPoints: ['after-decision-logged'] });
    const patched = await fetch(`${sys.cluster.gatewayUrl}/v1/sessions/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'if-match': '"1"', 'idempotency-key': 'crash-modify' },
      body: JSON.stringify({ trafficClass: 'voice' }),
    });
    await sys.cluster.services.get(old)!.proc.exited;
    const [row] = await sys.db
      .coordinator`SELECT txn_id, decision FROM txn WHERE idempotency_key = 'client:crash-modify'`;
    expect(row?.decision).toBe('commit');
    // The gateway retried with the same key on the new leader, which answered once the DSM showed the change.
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe('"2"');
    const got = (await fetch(`${sys.cluster.gatewayUrl}/v1/sessions/${id}`).then((r) => r.json())) as Record<
      string,
      unknown
    >;
    expect(got).toMatchObject({ revision: 2, trafficClass: 'voice', status: 'COMMITTED', txnId: row!.txn_id });
    expect(got.change).toBeUndefined();
    const settled = await eventually(async () => {
      const t = await txnEverywhere(sys, String(row!.txn_id));
      return t.rm === 'committed' && t.billing === 'committed' ? t : undefined;
    }, 'both participants committed by the next leader');
    expect(settled).toMatchObject({ decision: 'commit', dsm: 'COMMITTED' });
    await sys.cluster.restart(old);
  });
});
