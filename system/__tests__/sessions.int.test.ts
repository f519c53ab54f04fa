// End to end through real processes over real Redis and Postgres: a session is created, committed everywhere
// and announced once on the stream; a request naming the most cells passes every layer; bad and forged input
// changes nothing; idempotency keys hold, and one reused for another request is refused (422); a body that is not
// JSON is refused (415).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellsPerRequestMax } from '../common/contract.ts';
import { parseKeyRing, signatureHeaders, signRequest } from '../common/signing.ts';
import { type SystemFixture, startSystem, subscriber } from './support.ts';

let sys: SystemFixture;
beforeAll(async () => {
  sys = await startSystem();
});
afterAll(async () => {
  await sys?.stop();
});

async function counts() {
  const [txn] = await sys.db.coordinator`SELECT count(*)::int AS n FROM txn`;
  const rm = await sys.peer('rm').call<{ used: number }>('GET', '/v1/state', undefined, { timeoutMs: 5000 });
  const billing = await sys.peer('billing').call<{ held: number }>('GET', '/v1/state', undefined, { timeoutMs: 5000 });
  return { txns: txn!.n as number, used: rm.body.used, held: billing.body.held };
}

describe('session creation', () => {
  it('commits in every store and emits exactly one event', async () => {
    const before = await counts();
    const r = await sys.createSession({ subscriberId: '00101 0000 000007', trafficClass: 'Voice', protocol: '2PC' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      outcome: 'committed',
      sessionId: expect.stringMatching(/^ses-/),
      txnId: expect.stringMatching(/^txn-/),
    });
    const txnId = String(r.body.txnId);

    const got = await fetch(`${sys.cluster.gatewayUrl}/v1/sessions/${r.body.sessionId}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({
      status: 'COMMITTED',
      subscriberId: subscriber(7),
      trafficClass: 'voice',
      protocol: '2pc',
    });

    for (const p of ['rm', 'billing']) {
      const state = await sys
        .peer(p)
        .call<{ state: string }>('GET', `/v1/txn/${txnId}`, undefined, { timeoutMs: 5000 });
      expect(state.body.state).toBe('committed');
    }
    const after = await counts();
    expect(after.used - before.used).toBe(1);
    expect(after.held - before.held).toBe(5); // the voice tariff
    const [row] = await sys.db.coordinator`SELECT decision FROM txn WHERE txn_id = ${txnId}`;
    expect(row?.decision).toBe('commit');

    const entries = await sys.redis.xrange('session-events', '-', '+');
    const mine = entries.filter(([, fields]) => fields.includes(txnId));
    expect(mine).toHaveLength(1);
    const fields = Object.fromEntries(mine[0]![1].flatMap((v, i, a) => (i % 2 === 0 ? [[v, a[i + 1]]] : [])));
    expect(fields).toMatchObject({ sessionId: r.body.sessionId, outcome: 'commit', seq: '1' });
  });

  it('commits a session naming the most cells a request may, and refuses one more at the gateway', async () => {
    const cells = Array.from({ length: cellsPerRequestMax + 1 }, (_, i) => `cell-${101 + i}`);
    const body = { subscriberId: subscriber(6), trafficClass: 'data', protocol: '3pc' };
    const before = await counts();
    const tooMany = await sys.createSession({ ...body, cells });
    expect(tooMany.status).toBe(400);
    expect(await counts()).toEqual(before);
    const r = await sys.createSession({ ...body, cells: cells.slice(0, cellsPerRequestMax) });
    expect(r.status).toBe(201);
    expect((await counts()).used - before.used).toBe(cellsPerRequestMax);
  });

  it('answers 400 naming each bad field, and creates nothing', async () => {
    const before = await counts();
    const r = await sys.createSession({ subscriberId: '12', trafficClass: 'fax', protocol: '2pc', colour: 'red' });
    expect(r.status).toBe(400);
    const fields = (r.body.errors as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(['colour', 'subscriberId', 'trafficClass']);
    expect(await counts()).toEqual(before);
  });

  it('returns the first result for a repeated Idempotency-Key and creates one session', async () => {
    const body = { subscriberId: subscriber(8), trafficClass: 'data', protocol: '2pc' };
    const headers = { 'idempotency-key': 'order-8' };
    const first = await sys.createSession(body, headers);
    const second = await sys.createSession(body, headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.sessionId).toBe(first.body.sessionId);
    expect(second.body.txnId).toBe(first.body.txnId);
    const rows = await sys.db.coordinator`SELECT txn_id FROM txn WHERE idempotency_key = 'client:order-8'`;
    expect(rows).toHaveLength(1);

    // The same key with another request: refused, passed on by the gateway as the leader said it, nothing created.
    const before = await counts();
    const reused = await sys.createSession({ ...body, trafficClass: 'voice' }, headers);
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({
      code: 'idempotency_key_reused',
      differs: [{ field: 'trafficClass', first: 'data', now: 'voice' }],
    });
    expect(await counts()).toEqual(before);
  });

  it('answers 415 to a body that is not JSON, before reading it, and creates nothing', async () => {
    const before = await counts();
    const r = await fetch(`${sys.cluster.gatewayUrl}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: JSON.stringify({ subscriberId: subscriber(10), trafficClass: 'voice', protocol: '2pc' }),
    });
    expect(r.status).toBe(415);
    expect(r.headers.get('accept')).toBe('application/json');
    expect(await r.json()).toMatchObject({
      code: 'unsupported_media_type',
      received: 'text/plain; charset=utf-8',
      expected: 'application/json',
    });
    expect(await counts()).toEqual(before);
  });

  it('answers only 201/400/409/503/504 to any body, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          fc
            .record({
              subscriberId: fc.oneof(fc.string(), fc.integer({ min: 0, max: 99_999 }).map(subscriber)),
              trafficClass: fc.constantFrom('voice', 'video', 'DATA', 'fax', ''),
              protocol: fc.constantFrom('2pc', '3pc', 'x'),
            })
            .map((o) => JSON.stringify(o)),
        ),
        async (text) => {
          const r = await sys.createSession(text);
          expect([201, 400, 409, 503, 504]).toContain(r.status);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('trust boundary', () => {
  it('refuses unsigned, tampered and replayed internal requests with stable codes and no state change', async () => {
    const leader = await sys.leader();
    const url = `${sys.cluster.services.get(leader)!.url}/v1/sessions`;
    const ring = parseKeyRing(sys.cluster.hmacKeys);
    const body = JSON.stringify({ subscriberId: subscriber(9), trafficClass: 'voice', protocol: '2pc' });
    const post = (payload: string, headers: Record<string, string>) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload }).then(
        async (r) => ({
          status: r.status,
          code: ((await r.json()) as { code: string }).code,
        }),
      );
    const before = await counts();

    expect(await post(body, {})).toEqual({ status: 401, code: 'unsigned' });
    const signed = signRequest(ring, 'POST', '/v1/sessions', body, Date.now());
    const tampered = body.replace('voice', 'video');
    expect(await post(tampered, signed)).toEqual({ status: 401, code: 'bad_signature' });
    expect(await post(body, { ...signed, [signatureHeaders.keyId]: 'nope' })).toEqual({
      status: 401,
      code: 'unknown_key',
    });
    const old = signRequest(ring, 'POST', '/v1/sessions', body, Date.now() - 120_000);
    expect(await post(body, old)).toEqual({ status: 401, code: 'stale_timestamp' });
    expect(await counts()).toEqual(before);

    // The genuine request once, then its exact replay.
    expect((await post(body, signed)).status).toBe(201);
    expect(await post(body, signed)).toEqual({ status: 401, code: 'replayed_nonce' });
    const after = await counts();
    expect(after.txns - before.txns).toBe(1);

    // Participants refuse forged calls too.
    const rmUrl = `${sys.cluster.services.get('rm')!.url}/v1/txn/txn-forged/prepare`;
    const forged = await fetch(rmUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"token":999}',
    });
    expect(forged.status).toBe(401);
    expect((await counts()).used).toBe(after.used);

    const metrics = await (await fetch(`${sys.cluster.services.get(leader)!.url}/metrics`)).text();
    expect(metrics).toMatch(/rig_rejected_messages_total\{[^}]*reason="replayed_nonce"[^}]*\} 1/);
  });

  it('serves Prometheus text at /metrics on every service', async () => {
    for (const [node, s] of sys.cluster.services) {
      const r = await fetch(`${s.url}/metrics`);
      expect(r.status, node).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await r.text()).toMatch(/^# HELP rig_http_requests_total/m);
    }
  });
});

describe('session modification and release', () => {
  const change = (method: 'PATCH' | 'DELETE', id: string, headers: Record<string, string>, body?: unknown) =>
    fetch(`${sys.cluster.gatewayUrl}/v1/sessions/${id}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then(async (r) => ({ status: r.status, etag: r.headers.get('etag'), body: await r.json() }));
  const read = (id: string) =>
    fetch(`${sys.cluster.gatewayUrl}/v1/sessions/${id}`).then(async (r) => ({
      etag: r.headers.get('etag'),
      body: (await r.json()) as Record<string, unknown>,
    }));

  it('changes a session only at the revision named, moves what it holds, and releases it for good', async () => {
    const created = await sys.createSession({ subscriberId: subscriber(31), trafficClass: 'voice', protocol: '3pc' });
    expect(created.status).toBe(201);
    const id = String(created.body.sessionId);
    expect((await read(id)).etag).toBe('"1"');
    const before = await counts();

    const stale = await change('PATCH', id, { 'if-match': '"0"' }, { trafficClass: 'video' });
    expect(stale).toMatchObject({ status: 412, etag: '"1"', body: { code: 'precondition_failed', revision: 1 } });
    expect(await counts()).toEqual(before); // not even an intent was logged

    const modified = await change('PATCH', id, { 'if-match': '"1"' }, { trafficClass: 'video', cells: [17, 18] });
    expect(modified).toMatchObject({ status: 200, etag: '"2"', body: { outcome: 'committed', kind: 'modify' } });
    expect((await read(id)).body).toMatchObject({ revision: 2, trafficClass: 'video', cells: ['cell-17', 'cell-18'] });
    const afterModify = await counts();
    expect(afterModify.used - before.used).toBe(1); // one cell given back, two taken
    expect(afterModify.held - before.held).toBe(15); // voice 5 -> video 20

    const released = await change('DELETE', id, {});
    expect(released).toMatchObject({ status: 200, etag: '"3"', body: { outcome: 'committed', kind: 'release' } });
    expect((await read(id)).body).toMatchObject({ status: 'RELEASED', revision: 3 });
    const afterRelease = await counts();
    expect(afterRelease.used - before.used).toBe(-1); // every channel back
    expect(afterRelease.held - before.held).toBe(-5); // the hold charged, not returned

    const again = await change('PATCH', id, {}, { trafficClass: 'data' });
    expect(again).toMatchObject({ status: 409, body: { code: 'not_active', status: 'RELEASED' } });
    expect((await change('DELETE', 'ses-00000000-0000-0000-0000-000000000000', {})).status).toBe(404);
    expect((await change('DELETE', id, { 'if-match': 'W/"3"' })).status).toBe(400);
    expect((await change('PATCH', id, {}, { protocol: '2pc' })).status).toBe(400);

    // Three events for the session, in the order of its transactions.
    const entries = await sys.redis.xrange('session-events', '-', '+');
    const mine = entries.filter(([, f]) => f.includes(id)).map(([, f]) => f[f.indexOf('seq') + 1]);
    expect(mine).toEqual(['1', '2', '3']);
  });

  it('lets exactly one of two clients racing with the same If-Match win', async () => {
    const created = await sys.createSession({ subscriberId: subscriber(32), trafficClass: 'data', protocol: '2pc' });
    const id = String(created.body.sessionId);
    const [a, b] = await Promise.all([
      change('PATCH', id, { 'if-match': '"1"' }, { trafficClass: 'voice' }),
      change('PATCH', id, { 'if-match': '"1"' }, { trafficClass: 'video' }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses[0]).toBe(200);
    expect([409, 412]).toContain(statuses[1]);
    const winner = a.status === 200 ? 'voice' : 'video';
    expect((await read(id)).body).toMatchObject({ revision: 2, trafficClass: winner });
  });
});
