// Proves the gateway's HTTP contract as a client meets it (docs/api.md), with no socket: the gateway is built as its
// process builds it (buildGateway, on a runtime from createRuntime) and each request goes through the dispatcher its
// HTTP server and a simulation use (serviceDispatch), so /healthz, the routes' media types and the Retry-After rule
// are the real ones; only the session managers behind it are scripted. It shows that a body that is not JSON is
// refused with 415 before it is read, parsed or validated, and reaches no manager; that application/json is taken
// with parameters and in any case; that GET and DELETE need no Content-Type; that a manager's 422
// idempotency_key_reused reaches the client unchanged and is not retried; that the key the gateway makes for a
// request without one is the same, with the same body, on each of its retries; and that every 503 carries a
// Retry-After, whatever made it.
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { type Clock, systemClock, type TimerHandle } from '../../common/clock.ts';
import { Env } from '../../common/config.ts';
import { createDispatcher, type Reply } from '../../common/dispatch.ts';
import { ServiceError } from '../../common/errors.ts';
import type { CallOptions, PeerPort, PeerReply } from '../../common/peer-port.ts';
import { seededRandom } from '../../common/random.ts';
import { createRuntime, serviceDispatch } from '../../common/service.ts';
import { buildGateway } from '../build.ts';

/** What a scripted manager saw of one call. */
interface Call {
  method: string;
  path: string;
  body: unknown;
  key: string | undefined;
}

type Answer = { status: number; body: Record<string, unknown> } | ServiceError;

const created = { status: 201, body: { sessionId: 'ses-1', txnId: 'txn-1', outcome: 'committed', revision: 1 } };
const changed = { status: 200, body: { sessionId: 'ses-1', txnId: 'txn-2', outcome: 'committed', revision: 2 } };

/** A manager that answers the calls in order from `answers`, then with `last`, recording each call. */
function scripted(answers: Answer[], last: Answer, calls: Call[]): PeerPort {
  return {
    async call<T>(method: string, path: string, body: unknown, opts: CallOptions): Promise<PeerReply<T>> {
      calls.push({ method, path, body, key: opts.headers?.['idempotency-key'] });
      const next = answers.shift() ?? last;
      if (next instanceof ServiceError) throw next;
      return next as PeerReply<T>;
    },
  };
}

/** The system clock, except that discovery's interval never fires (the tests choose what the managers answer). */
function noDiscovery(): Clock {
  return { ...systemClock(), setInterval: () => ({}) as TimerHandle, clearInterval: () => {} };
}

/** The gateway over one scripted manager, served as its process serves it; `send` is one client request. */
function gateway(answers: Answer[], last: Answer = created) {
  const calls: Call[] = [];
  const clock = noDiscovery();
  const random = seededRandom(3);
  const env = new Env({ RIG_HMAC_KEYS: 'k1:contract-test-secret-01', RIG_LOG_LEVEL: 'error' });
  const rt = createRuntime('edge-gateway', env, { clock, random, write: () => {}, processMetrics: false });
  const parts = buildGateway({
    config: {
      forwarder: { attemptTimeoutMs: 1000, requestDeadlineMs: 2000, attemptsMax: 3, backoffBaseMs: 1, backoffMaxMs: 2 },
      discoveryIntervalMs: 500,
    },
    managers: new Map([['sm-1', scripted(answers, last, calls)]]),
    clock,
    random,
    metrics: rt.metrics,
  });
  const dispatch = createDispatcher(serviceDispatch(rt, parts));
  /** Whether the dispatcher read the body of the last request. */
  const read = { body: false };
  const send = (method: string, path: string, headers: IncomingHttpHeaders, body?: string): Promise<Reply> => {
    read.body = false;
    return dispatch(method, path, headers, async () => {
      read.body = true;
      return Buffer.from(body ?? '', 'utf8');
    });
  };
  return { send, calls, read, rt };
}

const sessionPath = '/v1/sessions/ses-00000000-0000-4000-8000-000000000001';
const createBody = JSON.stringify({ subscriberId: '001010000000001', trafficClass: 'voice', protocol: '2pc' });
const json = { 'content-type': 'application/json' };

describe('the gateway refuses a body that is not JSON (415)', () => {
  it('refuses a text/plain POST before reading it, naming the type received and the one expected', async () => {
    const { send, calls, read, rt } = gateway([]);
    // Not even JSON: were it parsed, the answer would be 400; were it validated, 400 naming the fields.
    const r = await send('POST', '/v1/sessions', { 'content-type': 'text/plain' }, 'subscriberId=1');
    expect(r.status).toBe(415);
    expect(r.body).toEqual({
      code: 'unsupported_media_type',
      message: expect.stringMatching(/text\/plain.*Content-Type: application\/json/),
      received: 'text/plain',
      expected: 'application/json',
    });
    expect(r.headers).toMatchObject({ accept: 'application/json' });
    expect(read.body).toBe(false);
    expect(calls).toEqual([]);
    expect((await rt.metrics.rejected.get()).values).toEqual([
      expect.objectContaining({ labels: { reason: 'unsupported_media_type' }, value: 1 }),
    ]);
  });

  it('refuses a body that names no Content-Type, on POST and on PATCH, before parsing it', async () => {
    const { send, calls } = gateway([]);
    for (const [method, path, body] of [
      ['POST', '/v1/sessions', createBody],
      ['PATCH', sessionPath, '{"trafficClass": "video"'],
    ] as const) {
      const r = await send(method, path, {}, body);
      expect(r.status, `${method} ${path}`).toBe(415);
      expect(r.body).toMatchObject({
        code: 'unsupported_media_type',
        message: expect.stringMatching(/no Content-Type/),
        received: null,
        expected: 'application/json',
      });
    }
    expect(calls).toEqual([]);
  });

  it('refuses a +json type, a charset other than UTF-8 and a malformed type, even with a valid body', async () => {
    const { send, calls } = gateway([]);
    const patch = JSON.stringify({ trafficClass: 'video' });
    const refused: Array<[string, RegExp]> = [
      ['application/merge-patch+json', /merge-patch\+json \(a \+json type/],
      ['application/json; charset=iso-8859-1', /charset iso-8859-1, and JSON is UTF-8/],
      ['application/x-www-form-urlencoded', /application\/x-www-form-urlencoded/],
      ['json', /"json" is not a media type/],
    ];
    for (const [type, message] of refused) {
      const r = await send('PATCH', sessionPath, { 'content-type': type }, patch);
      expect(r.status, type).toBe(415);
      expect(r.body).toMatchObject({ received: type, message: expect.stringMatching(message) });
    }
    expect(calls).toEqual([]);
  });

  it('takes application/json with parameters and in any case', async () => {
    const { send, calls } = gateway([], created);
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON;Charset="UTF-8"',
      'application/json ; profile=x',
    ]) {
      expect((await send('POST', '/v1/sessions', { 'content-type': type }, createBody)).status, type).toBe(201);
    }
    expect(calls.map((c) => c.method)).toEqual(['POST', 'POST', 'POST', 'POST']);
  });

  it('needs no Content-Type on GET and DELETE without a body, nor on a POST without one', async () => {
    const { send, calls } = gateway([{ status: 200, body: { sessionId: 'ses-1', revision: 1 } }], changed);
    expect((await send('GET', sessionPath, {})).status).toBe(200);
    expect((await send('DELETE', sessionPath, {})).status).toBe(200);
    expect(calls.map((c) => c.method)).toEqual(['GET', 'DELETE']);
    // No body at all: nothing to misread, and the validation says what is missing.
    const empty = await send('POST', '/v1/sessions', {});
    expect(empty).toMatchObject({ status: 400, body: { code: 'bad_request' } });
  });
});

describe('the gateway and idempotency keys', () => {
  it("passes a manager's 422 idempotency_key_reused to the client unchanged, and does not retry it", async () => {
    const refusal = {
      code: 'idempotency_key_reused',
      message: 'this Idempotency-Key was first sent with a different request (trafficClass voice then, video now)',
      differs: [{ field: 'trafficClass', first: 'voice', now: 'video' }],
    };
    const { send, calls } = gateway([{ status: 422, body: refusal }]);
    const r = await send('POST', '/v1/sessions', { ...json, 'idempotency-key': 'order-9' }, createBody);
    expect(r.status).toBe(422);
    expect(r.body).toEqual(refusal);
    expect(r.headers?.['retry-after']).toBeUndefined();
    expect(calls).toEqual([expect.objectContaining({ method: 'POST', key: 'client:order-9' })]);
  });

  it('makes one key for a request that brings none, and sends it with the same body on every retry', async () => {
    const lost = new ServiceError('timeout', 'no answer', {}, false);
    const { send, calls } = gateway([lost, lost], created);
    const r = await send('POST', '/v1/sessions', json, createBody);
    expect(r.status).toBe(201);
    expect(calls).toHaveLength(3);
    expect(calls[0]!.key).toMatch(/^gw:/);
    expect(new Set(calls.map((c) => c.key)).size).toBe(1);
    expect(new Set(calls.map((c) => JSON.stringify(c.body))).size).toBe(1);
  });
});

describe('the gateway answers every 503 with a Retry-After', () => {
  const notLeader = { status: 503, body: { code: 'not_leader', leader: null, retryAfterMs: 200 } };

  it('on its own no_leader, for a change and for a read', async () => {
    const { send } = gateway([], notLeader);
    const create = await send('POST', '/v1/sessions', json, createBody);
    expect(create.status).toBe(503);
    expect(create.body).toMatchObject({ code: 'no_leader' });
    expect(create.headers).toMatchObject({ 'retry-after': '1' });
    const read = await send('GET', sessionPath, {});
    expect(read.status).toBe(503);
    expect(read.headers).toMatchObject({ 'retry-after': '1' });
  });

  it("on a manager's overloaded, from its retryAfterMs in whole seconds rounded up", async () => {
    const shed = { status: 503, body: { code: 'overloaded', shed: 'full', retryAfterMs: 2500 } };
    const { send } = gateway([shed]);
    const r = await send('PATCH', sessionPath, json, JSON.stringify({ cells: ['cell-2'] }));
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: 'overloaded' });
    expect(r.headers).toMatchObject({ 'retry-after': '3' });
  });

  it('on a 503 passed on without a retryAfterMs: 1 s', async () => {
    const { send } = gateway([{ status: 503, body: { code: 'unavailable', message: 'draining' } }]);
    const r = await send('DELETE', sessionPath, {});
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: 'unavailable' });
    expect(r.headers).toMatchObject({ 'retry-after': '1' });
  });

  it('never answers 503 on /healthz: it says who leads, or that it knows of none', async () => {
    const { send } = gateway([], notLeader);
    const r = await send('GET', '/healthz', {});
    expect(r).toMatchObject({ status: 200, body: { ok: true, service: 'edge-gateway', leader: null } });
  });
});
