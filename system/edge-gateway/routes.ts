// The gateway's public API: validate and normalise at the edge, then forward to the leader.
import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import { sessionIdPattern } from '../common/contract.ts';
import type { Handler, Route } from '../common/http-server.ts';
import type { Forwarder } from './forwarder.ts';
import { validateSessionRequest, validIdempotencyKey } from './validation.ts';

export interface GatewayCounters {
  /** Answers to session creation, by status. */
  outcomes: Counter<'status'>;
  /** Requests refused before forwarding, by reason. */
  rejected: Counter<'reason'>;
}

export function gatewayRoutes(forwarder: Forwarder, counters: GatewayCounters): Route[] {
  return [
    { method: 'POST', pattern: '/v1/sessions', signed: false, handler: createSession(forwarder, counters) },
    { method: 'GET', pattern: '/v1/sessions/:sessionId', signed: false, handler: readSession(forwarder) },
  ];
}

function createSession(forwarder: Forwarder, { outcomes, rejected }: GatewayCounters): Handler {
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
    // Every request gets a key, so the gateway's own retries are exactly-once too.
    const key = typeof given === 'string' ? `client:${given}` : `gw:${randomUUID()}`;
    const reply = await forwarder.forward('POST', '/v1/sessions', v.value, { 'idempotency-key': key });
    outcomes.inc({ status: String(reply.status) });
    return reply;
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
    return forwarder.forward('GET', `/v1/sessions/${id}`, undefined, {});
  };
}
