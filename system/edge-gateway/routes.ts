// The gateway's public API: validate and normalise at the edge, then forward to the leader. A body that is not JSON
// is refused (415) before it reaches a handler, and every 503 gets a Retry-After, by the dispatcher (dispatch.ts);
// what the session manager answers, 422 idempotency_key_reused included, is passed on as it is (forwarder.ts).
import type { Counter } from 'prom-client';
import { sessionIdPattern } from '../common/contract.ts';
import type { Handler, Reply, Route } from '../common/dispatch.ts';
import type { Random } from '../common/random.ts';
import type { Forwarder } from './forwarder.ts';
import {
  etag,
  ifMatchProblem,
  type Validation,
  validateModifyRequest,
  validateSessionRequest,
  validIdempotencyKey,
} from './validation.ts';

export interface GatewayCounters {
  /** Answers to session creation, modification and release, by status. */
  outcomes: Counter<'status'>;
  /** Requests refused before forwarding, by reason. */
  rejected: Counter<'reason'>;
}

/** `random` makes the idempotency keys of requests that bring none. */
export function gatewayRoutes(forwarder: Forwarder, counters: GatewayCounters, random: Random): Route[] {
  const forwardedKey = forwardedKeyWith(random);
  return [
    {
      method: 'POST',
      pattern: '/v1/sessions',
      signed: false,
      jsonBody: true,
      handler: createSession(forwarder, counters, forwardedKey),
    },
    { method: 'GET', pattern: '/v1/sessions/:sessionId', signed: false, handler: readSession(forwarder) },
    {
      method: 'PATCH',
      pattern: '/v1/sessions/:sessionId',
      signed: false,
      jsonBody: true,
      handler: changeSession('PATCH', validateModifyRequest, forwarder, counters, forwardedKey),
    },
    {
      method: 'DELETE',
      pattern: '/v1/sessions/:sessionId',
      signed: false,
      handler: changeSession('DELETE', () => ({ ok: true, value: undefined }), forwarder, counters, forwardedKey),
    },
  ];
}

const badRequest = (field: string, message: string): Reply => ({
  status: 400,
  body: { code: 'bad_request', errors: [{ field, message }] },
});

/** The reply with the session's `ETag`, when it names the session's revision (200, 201, 412). */
function withEtag(reply: Reply): Reply {
  const revision = (reply.body as Record<string, unknown> | undefined)?.revision;
  if (![200, 201, 412].includes(reply.status) || typeof revision !== 'number') return reply;
  return { ...reply, headers: { ...reply.headers, etag: etag(revision) } };
}

/** The idempotency key to forward: the client's (prefixed), else one of ours, so our own retries are exactly-once. */
type KeyFor = (given: string | undefined) => string;

function forwardedKeyWith(random: Random): KeyFor {
  return (given) => (given !== undefined ? `client:${given}` : `gw:${random.uuid()}`);
}

/** PATCH (modify) and DELETE (release): the same checks as a create, plus the id and `If-Match`. */
function changeSession(
  method: 'PATCH' | 'DELETE',
  validate: (body: unknown) => Validation<unknown>,
  forwarder: Forwarder,
  { outcomes, rejected }: GatewayCounters,
  forwardedKey: KeyFor,
): Handler {
  return async (ctx) => {
    const id = ctx.params.sessionId!;
    const given = ctx.headers['idempotency-key'];
    const ifMatch = ctx.headers['if-match'];
    let refused: Reply | undefined;
    if (!sessionIdPattern.test(id)) refused = badRequest('sessionId', 'is not a session id');
    else if (given !== undefined && (typeof given !== 'string' || !validIdempotencyKey(given))) {
      refused = badRequest('Idempotency-Key', 'must be 1 to 128 visible ASCII characters');
    } else if (ifMatchProblem(ifMatch)) refused = badRequest('If-Match', ifMatchProblem(ifMatch)!);
    const v = refused ? undefined : validate(ctx.body);
    if (v && !v.ok) refused = { status: 400, body: { code: 'bad_request', errors: v.errors } };
    if (refused || !v?.ok) {
      rejected.inc({ reason: 'validation' });
      outcomes.inc({ status: '400' });
      return refused!;
    }
    const headers: Record<string, string> = { 'idempotency-key': forwardedKey(given as string | undefined) };
    if (typeof ifMatch === 'string') headers['if-match'] = ifMatch.trim();
    const reply = await forwarder.forward(method, `/v1/sessions/${id}`, v.value, headers);
    outcomes.inc({ status: String(reply.status) });
    return withEtag(reply);
  };
}

function createSession(forwarder: Forwarder, { outcomes, rejected }: GatewayCounters, forwardedKey: KeyFor): Handler {
  return async (ctx) => {
    const given = ctx.headers['idempotency-key'];
    if (given !== undefined && (typeof given !== 'string' || !validIdempotencyKey(given))) {
      outcomes.inc({ status: '400' });
      return {
        status: 400,
        body: {
          code: 'bad_request',
          errors: [{ field: 'Idempotency-Key', message: 'must be 1 to 128 visible ASCII characters' }],
        },
      };
    }
    const v = validateSessionRequest(ctx.body);
    if (!v.ok) {
      rejected.inc({ reason: 'validation' });
      outcomes.inc({ status: '400' });
      return { status: 400, body: { code: 'bad_request', errors: v.errors } };
    }
    const reply = await forwarder.forward('POST', '/v1/sessions', v.value, {
      'idempotency-key': forwardedKey(given as string | undefined),
    });
    outcomes.inc({ status: String(reply.status) });
    return withEtag(reply);
  };
}

function readSession(forwarder: Forwarder): Handler {
  return (ctx) => {
    const id = ctx.params.sessionId!;
    if (!sessionIdPattern.test(id))
      return {
        status: 400,
        body: { code: 'bad_request', errors: [{ field: 'sessionId', message: 'is not a session id' }] },
      };
    return forwarder.forward('GET', `/v1/sessions/${id}`, undefined, {}).then(withEtag);
  };
}
