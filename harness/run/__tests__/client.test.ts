// Proves the gateway client against a loopback server scripted with the gateway's answers (docs/api.md): each route
// is called with the method, path and headers the API asks for (Idempotency-Key; If-Match only when conditional; no
// body on GET and DELETE), and each answer becomes the completion the history needs: 2xx ok, 4xx and 503 fail
// (nothing changed), 504, other statuses, timeouts and resets info; a refused connection fails. Nothing throws.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../client.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Script = (seen: Seen) => { status: number; body?: unknown } | 'hang' | 'reset';

const servers: Server[] = [];
const clients: GatewayClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A gateway that answers with `script`, a client for it, and the requests it saw. */
async function gateway(script: Script, timeoutMs = 2000): Promise<{ client: GatewayClient; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      const answer = script(s);
      if (answer === 'hang') return;
      if (answer === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new GatewayClient(`http://127.0.0.1:${(server.address() as { port: number }).port}`, timeoutMs);
  clients.push(client);
  return { client, seen };
}

const answer = (status: number, body?: unknown) => () => ({ status, body });
const timings = { totalMs: 12, queueMs: 1 };

describe('createSession', () => {
  it('sends the Idempotency-Key and records the committed answer with its kind and revision', async () => {
    const body = { sessionId: 'ses-1', txnId: 't1', outcome: 'committed', kind: 'create', revision: 1, timings };
    const { client, seen } = await gateway(answer(201, { ...body, protocol: '2pc' }));
    const done = await client.createSession({
      requestId: 'r1',
      subscriberId: 'imsi-001010000000001',
      trafficClass: 'voice',
      protocol: '2pc',
    });
    expect(done).toEqual({ type: 'ok', value: body });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/sessions', headers: { 'idempotency-key': 'r1' } });
    expect(JSON.parse(seen[0]!.body)).toEqual({
      subscriberId: 'imsi-001010000000001',
      trafficClass: 'voice',
      protocol: '2pc',
    });
  });
  it.each([
    [400, 'bad_request'],
    [415, 'unsupported_media_type'],
    [422, 'idempotency_key_reused'],
    [503, 'overloaded'],
  ])('fails on %i %s: nothing was created', async (status, code) => {
    const { client } = await gateway(answer(status, { code, message: 'm' }));
    const done = await client.createSession({
      requestId: 'r2',
      subscriberId: 'imsi-001010000000001',
      trafficClass: 'voice',
      protocol: '2pc',
    });
    expect(done).toEqual({ type: 'fail', value: { status, reason: code }, error: code });
  });
});

describe('readSession', () => {
  it('GETs the session without a body and keeps the fields a read is judged on', async () => {
    const record = {
      sessionId: 'ses-1',
      txnId: 't2',
      subscriberId: 'imsi-001010000000001',
      trafficClass: 'video',
      protocol: '3pc',
      cells: ['cell-2'],
      status: 'COMMITTED',
      revision: 2,
      version: 7,
      token: 3,
      updatedAtMs: 5,
    };
    const { client, seen } = await gateway(answer(200, record));
    expect(await client.readSession({ sessionId: 'ses-1' })).toEqual({
      type: 'ok',
      value: {
        sessionId: 'ses-1',
        revision: 2,
        status: 'COMMITTED',
        trafficClass: 'video',
        cells: ['cell-2'],
        txnId: 't2',
      },
    });
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/v1/sessions/ses-1', body: '' });
    expect(seen[0]!.headers['content-type']).toBeUndefined();
  });

  it('fails on 404, 400 and 503, and is unknown on 504', async () => {
    const statuses = [404, 400, 503, 504];
    let i = 0;
    const codes: Record<number, string> = {
      404: 'not_found',
      400: 'bad_request',
      503: 'no_leader',
      504: 'unknown_outcome',
    };
    const { client } = await gateway(() => {
      const status = statuses[i++]!;
      return { status, body: { code: codes[status] } };
    });
    const got = [];
    for (const _ of statuses) got.push(await client.readSession({ sessionId: 'ses-1' }));
    expect(got).toEqual([
      { type: 'fail', value: { status: 404, reason: 'not_found' }, error: 'not_found' },
      { type: 'fail', value: { status: 400, reason: 'bad_request' }, error: 'bad_request' },
      { type: 'fail', value: { status: 503, reason: 'no_leader' }, error: 'no_leader' },
      { type: 'info', value: { status: 504 }, error: 'unknown_outcome' },
    ]);
  });
});

describe('modifySession and releaseSession', () => {
  it('PATCH the change with If-Match and the Idempotency-Key; record the new revision', async () => {
    const body = { sessionId: 'ses-1', txnId: 't3', outcome: 'committed', kind: 'modify', revision: 4, timings };
    const { client, seen } = await gateway(answer(200, { ...body, protocol: '2pc' }));
    const done = await client.modifySession({
      requestId: 'r5',
      sessionId: 'ses-1',
      ifMatch: 3,
      trafficClass: 'data',
      cells: ['cell-4'],
    });
    expect(done).toEqual({ type: 'ok', value: body });
    expect(seen[0]).toMatchObject({
      method: 'PATCH',
      url: '/v1/sessions/ses-1',
      headers: { 'idempotency-key': 'r5', 'if-match': '"3"', 'content-type': 'application/json' },
    });
    expect(JSON.parse(seen[0]!.body)).toEqual({ trafficClass: 'data', cells: ['cell-4'] });
  });

  it('DELETE without a body, and without If-Match when unconditional', async () => {
    const body = { sessionId: 'ses-1', txnId: 't4', outcome: 'committed', kind: 'release', revision: 2, timings };
    const { client, seen } = await gateway(answer(200, body));
    expect(await client.releaseSession({ requestId: 'r6', sessionId: 'ses-1' })).toEqual({ type: 'ok', value: body });
    expect(seen[0]).toMatchObject({ method: 'DELETE', url: '/v1/sessions/ses-1', body: '' });
    expect(seen[0]!.headers['if-match']).toBeUndefined();
    expect(seen[0]!.headers['content-type']).toBeUndefined();
  });

  const fails: [string, number, Record<string, unknown>, Record<string, unknown>][] = [
    [
      '412 with the current revision',
      412,
      { code: 'precondition_failed', sessionId: 'ses-1', revision: 5 },
      { status: 412, code: 'precondition_failed', sessionId: 'ses-1', revision: 5 },
    ],
    [
      '409 aborted with the participant reason',
      409,
      {
        code: 'aborted',
        sessionId: 'ses-1',
        txnId: 't5',
        outcome: 'aborted',
        kind: 'modify',
        reason: 'no_capacity',
        revision: 2,
      },
      {
        status: 409,
        code: 'aborted',
        sessionId: 'ses-1',
        txnId: 't5',
        outcome: 'aborted',
        reason: 'no_capacity',
        revision: 2,
      },
    ],
    [
      '409 not_active: released',
      409,
      { code: 'not_active', sessionId: 'ses-1', status: 'RELEASED', revision: 3 },
      { status: 409, code: 'not_active', sessionId: 'ses-1', reason: 'RELEASED', revision: 3 },
    ],
    [
      '409 not_active: another change in flight',
      409,
      {
        code: 'not_active',
        sessionId: 'ses-1',
        status: 'COMMITTED',
        revision: 3,
        change: { txnId: 't6', kind: 'modify', state: 'PREPARED' },
      },
      { status: 409, code: 'not_active', sessionId: 'ses-1', reason: 'change-in-flight', revision: 3 },
    ],
    ['404', 404, { code: 'not_found' }, { status: 404, code: 'not_found' }],
    ['400', 400, { code: 'bad_request', errors: [] }, { status: 400, code: 'bad_request' }],
    ['503', 503, { code: 'overloaded', shed: 'full' }, { status: 503, code: 'overloaded' }],
    [
      '415 unsupported_media_type',
      415,
      { code: 'unsupported_media_type', received: 'text/plain', expected: 'application/json' },
      { status: 415, code: 'unsupported_media_type' },
    ],
    [
      '422 idempotency_key_reused',
      422,
      { code: 'idempotency_key_reused', message: 'm', differs: [{ field: 'kind', first: 'create', now: 'release' }] },
      { status: 422, code: 'idempotency_key_reused' },
    ],
  ];
  it.each(fails)('fail on %s: nothing changed', async (_name, status, body, value) => {
    const { client } = await gateway(answer(status, body));
    const done = await client.releaseSession({ requestId: 'r7', sessionId: 'ses-1', ifMatch: 2 });
    expect(done).toEqual({ type: 'fail', value, error: body.code });
  });

  it('is unknown on 504, on a status it does not know, on a timeout and on a reset', async () => {
    const script: ReturnType<Script>[] = [
      { status: 504, body: { code: 'unknown_outcome' } },
      { status: 500 },
      'hang',
      'reset',
    ];
    let i = 0;
    const { client } = await gateway(() => script[i++]!, 200);
    const got = [];
    for (const _ of script)
      got.push(await client.modifySession({ requestId: 'r8', sessionId: 'ses-1', trafficClass: 'voice' }));
    expect(got.map((c) => [c.type, c.error])).toEqual([
      ['info', 'unknown_outcome'],
      ['info', 'http 500'],
      ['info', 'ETIMEDOUT'],
      ['info', 'ECONNRESET'],
    ]);
    expect(got[0]!.value).toEqual({ status: 504 });
  });

  it('fails when the connection is refused: the request was never sent', async () => {
    const { client } = await gateway(answer(200));
    const port = (servers[0]!.address() as { port: number }).port;
    servers[0]!.closeAllConnections();
    await new Promise((r) => servers.splice(0)[0]!.close(r));
    client.close();
    const refused = new GatewayClient(`http://127.0.0.1:${port}`, 2000);
    clients.push(refused);
    expect(await refused.releaseSession({ requestId: 'r9', sessionId: 'ses-1' })).toEqual({
      type: 'fail',
      value: { reason: 'ECONNREFUSED' },
      error: 'ECONNREFUSED',
    });
  });
});
