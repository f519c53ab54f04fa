// Distributed deadlocks: two sessions for the same subscriber and cell, forced to lock in opposite orders across
// the participants (T1 holds the cell at rm and waits for the account at billing; T2 holds the account and waits for
// the cell), a cycle that neither Postgres can see. With the leader's detector on, it is found from the wait-for
// edges the participants publish and the youngest (T2) is aborted as `deadlock_victim`, long before any lock
// timeout would fire (the timeout's vote reason never shows up). With the detector off, the lock timeout breaks it.
// The order is forced with held latency: /admin/faults can hold one request path while others pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  preparedAt,
  type SystemFixture,
  setFaults,
  settledOutcome,
  startSystem,
  subscriber,
} from './support.ts';

const prepareRoute = '/v1/txn/:txnId/prepare';
const heldMs = 600_000;

function systemWith(detector: 'on' | 'off', lockTimeoutMs: number): Promise<SystemFixture> {
  return startSystem({
    nodes: 1,
    extraEnv: {
      RIG_DEADLOCK_DETECTOR: detector,
      RIG_LOCK_TIMEOUT_MS: String(lockTimeoutMs),
      // Long enough that only the deadlock handling ends these transactions.
      RIG_PREPARE_TIMEOUT_MS: '60000',
      RIG_ATTEMPT_TIMEOUT_MS: '60000',
      RIG_REQUEST_DEADLINE_MS: '90000',
      RIG_DECISION_QUERY_AFTER_MS: '600000',
    },
  });
}

async function delayedAt(sys: SystemFixture, node: string): Promise<number> {
  const text = await (await fetch(`${sys.cluster.services.get(node)!.url}/metrics`)).text();
  return Number(/^rig_fault_delayed_requests(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
}

async function txnsOf(sys: SystemFixture, subscriberId: string): Promise<string[]> {
  const rows = await sys.db.coordinator`
    SELECT txn_id FROM txn WHERE request->>'subscriberId' = ${subscriberId} ORDER BY created_at`;
  return rows.map((r) => String(r.txn_id));
}

type Edge = { txnId: string; waitsFor: string; waitedMs: number };

async function rmEdges(sys: SystemFixture): Promise<Edge[]> {
  const r = await sys.peer('rm').call<{ edges: Edge[] }>('GET', '/v1/waits', undefined, { timeoutMs: 5000 });
  return r.body.edges;
}

/**
 * Starts T1 and T2 so that they deadlock across rm and billing; resolves once the cycle is closed. T1's wait at
 * billing begins once T2 has waited at rm for `headStartMs`, so T2's lock timeout is the first to fire.
 */
async function forceDeadlock(sys: SystemFixture, i: number, headStartMs = 0) {
  const body = { subscriberId: subscriber(i), trafficClass: 'voice', protocol: '2pc', cells: [`cell-${i}`] };
  await setFaults(sys, 'billing', { latency: { [prepareRoute]: { ms: heldMs } } });
  const first = sys.createSession(body);
  const t1 = await eventually(async () => (await txnsOf(sys, body.subscriberId))[0], 'T1 logged');
  await eventually(
    async () =>
      ((await preparedAt(sys, 'rm')).includes(`rm:${t1}`) && (await delayedAt(sys, 'billing')) === 1) || undefined,
    'T1 prepared at rm (holding the cell) and its billing prepare held',
  );
  // Keep holding T1's billing prepare only; T2's goes through and takes the account.
  await setFaults(sys, 'billing', { latency: { [`/v1/txn/${t1}/prepare`]: { ms: heldMs } } });
  const second = sys.createSession(body);
  const t2 = await eventually(async () => (await txnsOf(sys, body.subscriberId))[1], 'T2 logged');
  await eventually(
    async () =>
      ((await preparedAt(sys, 'billing')).includes(`billing:${t2}`) &&
        (await rmEdges(sys)).some((e) => e.txnId === t2 && e.waitsFor === t1 && e.waitedMs >= headStartMs)) ||
      undefined,
    'T2 prepared at billing (holding the account) and waiting for T1 at rm',
  );
  await setFaults(sys, 'billing', {}); // T1's billing prepare goes on, and waits for T2: the cycle closes
  return { t1, t2, first, second };
}

function deadlocksOf(sys: SystemFixture, t2: string) {
  return sys.observations('sm-1', 'deadlock').filter((d) => (d.cycle as string[]).includes(t2));
}

describe('deadlock detector on', () => {
  let sys: SystemFixture;
  beforeAll(async () => {
    sys = await systemWith('on', 4000);
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it('breaks a cross-participant cycle by aborting the youngest transaction, before any lock timeout', async () => {
    const { t1, t2, first, second } = await forceDeadlock(sys, 11);
    const [r1, r2] = await Promise.all([first, second]);
    expect(r1.status, JSON.stringify(r1.body)).toBe(201);
    expect(r2.status, JSON.stringify(r2.body)).toBe(409);
    expect(r2.body).toMatchObject({ txnId: t2, reason: 'deadlock_victim' });
    expect(await settledOutcome(sys, t1)).toBe('commit');
    expect(await settledOutcome(sys, t2)).toBe('abort');
    const records = await eventually(() => {
      const found = deadlocksOf(sys, t2);
      return found.some((d) => d.resolvedAt !== undefined) ? found : undefined;
    }, 'the deadlock recorded as resolved');
    const resolved = records.find((d) => d.resolvedAt !== undefined)!;
    expect(resolved).toMatchObject({ method: 'detector', victim: t2 });
    expect([...(resolved.cycle as string[])].sort()).toEqual([t1, t2].sort());
    expect(new Set((resolved.edges as Array<{ participant: string }>).map((e) => e.participant))).toEqual(
      new Set(['rm', 'billing']),
    );
    expect(Number(resolved.resolvedAt)).toBeGreaterThanOrEqual(Number(resolved.detectedAt));
    // Both participants recorded their wait-for edge of the cycle, and its end.
    const waits = [...sys.observations('rm', 'lock-wait'), ...sys.observations('billing', 'lock-wait')];
    const ended = waits.filter((w) => w.end !== undefined).map((w) => `${w.participant}:${w.txnId}>${w.waitsFor}`);
    expect(ended).toEqual(expect.arrayContaining([`rm:${t2}>${t1}`, `billing:${t1}>${t2}`]));
    const metrics = await (await fetch(`${sys.cluster.services.get('sm-1')!.url}/metrics`)).text();
    expect(metrics).toMatch(/rig_deadlocks_total\{[^}]*method="detector"[^}]*\} [1-9]/);
  });

  it('keeps conflicting multi-cell sessions moving: each ends, nothing stays prepared', async () => {
    const orders = [
      ['cell-21', 'cell-22'],
      ['cell-22', 'cell-21'],
    ];
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        sys.createSession({
          subscriberId: subscriber(20 + (i % 2)),
          trafficClass: 'data',
          protocol: i % 3 ? '2pc' : '3pc',
          cells: orders[i % 2],
        }),
      ),
    );
    for (const a of answers) expect([201, 409], JSON.stringify(a.body)).toContain(a.status);
    expect(answers.filter((a) => a.status === 201).length).toBeGreaterThan(0);
    await eventually(async () => ((await preparedAt(sys, 'rm')).length === 0 ? true : undefined), 'rm drained');
    await eventually(
      async () => ((await preparedAt(sys, 'billing')).length === 0 ? true : undefined),
      'billing drained',
    );
  });
});

const lockTimeoutOffMs = 2000;

describe('deadlock detector off', () => {
  let sys: SystemFixture;
  beforeAll(async () => {
    sys = await systemWith('off', lockTimeoutOffMs);
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it('leaves the cycle to the lock timeout, and records it as resolved by timeout', async () => {
    const { t1, t2, first, second } = await forceDeadlock(sys, 12, lockTimeoutOffMs / 2);
    const [r1, r2] = await Promise.all([first, second]);
    // T2 began waiting first, so its lock timeout fires first and releases T1...
    expect(r2.body).toMatchObject({ txnId: t2, reason: 'lock_timeout' });
    expect(await settledOutcome(sys, t2)).toBe('abort');
    // ...unless, on a machine slow enough, T1's own timeout fires before T2's locks are gone: timeouts can take
    // more than one victim, which is one reason for the detector.
    const t1Outcome = await settledOutcome(sys, t1);
    if (r1.status === 409) expect(r1.body).toMatchObject({ reason: 'lock_timeout' });
    expect(t1Outcome).toBe(r1.status === 201 ? 'commit' : 'abort');
    const resolved = await eventually(
      () => deadlocksOf(sys, t2).find((d) => d.resolvedAt !== undefined),
      'the deadlock recorded as resolved',
    );
    expect(resolved).toMatchObject({ method: 'timeout', victim: t2 });
    expect(sys.observations('sm-1', 'decision').some((d) => d.via === 'deadlock-detector')).toBe(false);
  });
});
