// The scheduler in the running leader, end to end through the gateway, with one worker. The worker is kept busy by
// holding its transaction's prepare (held latency at rm), so the queue fills in a known order; once released, the
// order in which intents were logged is the order the scheduler ran them. Voice goes first yet data completes;
// a full queue sheds data before voice (503 overloaded with Retry-After), and every admitted request finishes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type SystemFixture, setFaults, startSystem, subscriber } from './support.ts';

const queueMax = 6;
let sys: SystemFixture;
beforeAll(async () => {
  sys = await startSystem({
    nodes: 1,
    extraEnv: {
      RIG_WORKERS: '1',
      RIG_QUEUE_MAX: String(queueMax),
      RIG_QUEUE_WAIT_MAX_MS: '120000',
      RIG_PREPARE_TIMEOUT_MS: '120000',
      RIG_ATTEMPT_TIMEOUT_MS: '120000',
      RIG_REQUEST_DEADLINE_MS: '120000',
    },
  });
});
afterAll(async () => {
  await sys?.stop();
});

const session = (i: number, trafficClass: string) => ({ subscriberId: subscriber(i), trafficClass, protocol: '2pc' });

async function depths(): Promise<Record<string, number>> {
  const text = await (await fetch(`${sys.cluster.services.get('sm-1')!.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^rig_scheduler_queue_depth\{[^}]*class="(\w+)"[^}]*\} (\d+)/gm)) {
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Occupies the one worker with a session whose prepare is held at rm until `release`. */
async function occupyWorker(i: number) {
  await setFaults(sys, 'rm', { latency: { '/v1/txn/:txnId/prepare': { ms: 600_000 } } });
  const blocker = sys.createSession(session(i, 'video'));
  await eventually(async () => {
    const [r] = await sys.db
      .coordinator`SELECT count(*)::int AS n FROM txn WHERE request->>'subscriberId' = ${subscriber(i)}`;
    return r!.n === 1 || undefined;
  }, 'the blocker running');
  return { blocker, release: () => setFaults(sys, 'rm', {}) };
}

async function startOrder(subscribers: string[]): Promise<string[]> {
  const rows = await sys.db.coordinator`
    SELECT request->>'subscriberId' AS s FROM txn WHERE request->>'subscriberId' IN ${sys.db.coordinator(subscribers)}
    ORDER BY created_at`;
  return rows.map((r) => String(r.s));
}

describe('scheduler', () => {
  it('serves queued voice before earlier data, and still completes the data', async () => {
    const { blocker, release } = await occupyWorker(1);
    const data = [10, 11, 12].map((i) => sys.createSession(session(i, 'data')));
    await eventually(async () => ((await depths()).data === 3 ? true : undefined), 'data queued');
    const voice = [20, 21, 22].map((i) => sys.createSession(session(i, 'voice')));
    await eventually(async () => ((await depths()).voice === 3 ? true : undefined), 'voice queued');
    await release();
    const answers = await Promise.all([blocker, ...data, ...voice]);
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(201);
    const order = await startOrder([10, 11, 12, 20, 21, 22].map(subscriber));
    expect(order).toEqual([20, 21, 22, 10, 11, 12].map(subscriber));
    const queued = answers.slice(1).map((a) => (a.body.timings as { queueMs: number }).queueMs);
    expect(queued.every((ms) => ms > 0)).toBe(true);
  });

  it('sheds data first when the queue is full, with 503 overloaded and Retry-After', async () => {
    const { blocker, release } = await occupyWorker(2);
    const data = Array.from({ length: queueMax }, (_, i) => sys.createSession(session(30 + i, 'data')));
    await eventually(async () => ((await depths()).data === queueMax ? true : undefined), 'the queue full of data');
    const voice = [40, 41].map((i) => sys.createSession(session(i, 'voice')));
    await eventually(async () => ((await depths()).voice === 2 ? true : undefined), 'voice admitted');
    const late = await fetch(`${sys.cluster.gatewayUrl}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(session(50, 'data')),
    });
    expect(late.status).toBe(503);
    expect(await late.json()).toMatchObject({ code: 'overloaded', shed: 'full', trafficClass: 'data' });
    expect(Number(late.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await release();
    const dataAnswers = await Promise.all(data);
    const shed = dataAnswers.filter((a) => a.status === 503);
    expect(shed).toHaveLength(2); // the two newest data requests made room for voice
    for (const a of shed) expect(a.body).toMatchObject({ code: 'overloaded', shed: 'evicted' });
    for (const a of await Promise.all([blocker, ...voice])) expect(a.status).toBe(201);
    expect(dataAnswers.filter((a) => a.status === 201)).toHaveLength(queueMax - 2);
    const metrics = await (await fetch(`${sys.cluster.services.get('sm-1')!.url}/metrics`)).text();
    expect(metrics).toMatch(/rig_scheduler_shed_total\{[^}]*class="data"[^}]*reason="evicted"[^}]*\} 2/);
    expect(metrics).toMatch(/rig_scheduler_queue_delay_seconds_count\{[^}]*class="voice"[^}]*\} [1-9]/);
  });
});
