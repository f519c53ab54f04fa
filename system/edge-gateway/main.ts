// The edge gateway process: the public API. Validates, normalises, signs and forwards to the leader.
import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { sessionIdPattern } from '../common/contract.ts';
import type { Route } from '../common/http-server.ts';
import { Peer, transports } from '../common/peer.ts';
import { runService } from '../common/service.ts';
import { Forwarder } from './forwarder.ts';
import { validateSessionRequest, validIdempotencyKey } from './validation.ts';

await runService('edge-gateway', async (rt) => {
  const { env, clock } = rt;
  const transport = env.oneOf('RIG_PEER_TRANSPORT', transports);
  const managers = new Map(
    [...env.urlMap('RIG_SESSION_MANAGERS')].map(([name, url]) => [
      name,
      new Peer(name, url, rt.ring, clock, { transport }),
    ]),
  );
  if (managers.size === 0) throw new Error('RIG_SESSION_MANAGERS names no session manager');
  const forwarder = new Forwarder(
    managers,
    {
      attemptTimeoutMs: env.int('RIG_ATTEMPT_TIMEOUT_MS', 5000, 10, 600_000),
      requestDeadlineMs: env.int('RIG_REQUEST_DEADLINE_MS', 15_000, 10, 600_000),
      attemptsMax: env.int('RIG_ATTEMPTS_MAX', 20, 1, 100),
      backoffBaseMs: 25,
      backoffMaxMs: 400,
    },
    clock,
  );
  const outcomes = new Counter({
    name: 'rig_gateway_responses_total',
    help: 'Gateway answers to session creation, by status',
    labelNames: ['status'],
    registers: [rt.metrics.registry],
  });

  // Leader discovery: ask every manager's /healthz now and then, so requests go straight to the leader, and a new
  // leader is found while requests still wait on an old one that stopped answering (forwarder.ts).
  let discovering = false;
  const discover = async () => {
    if (discovering) return;
    discovering = true;
    try {
      const found = await Promise.all(
        [...managers].map(async ([name, peer]) => {
          const r = await peer
            .call<{ role?: string; ready?: boolean; epoch?: number }>('GET', '/healthz', undefined, { timeoutMs: 500 })
            .catch(() => undefined);
          const { role, ready, epoch } = r?.body ?? {};
          return role === 'leader' && ready && typeof epoch === 'number' ? { name, epoch } : undefined;
        }),
      );
      let best: { name: string; epoch: number } | undefined;
      for (const f of found) if (f && (!best || f.epoch > best.epoch)) best = f;
      if (best) forwarder.leaderFound(best.name, best.epoch);
    } finally {
      discovering = false;
    }
  };
  const discovery = setInterval(() => void discover(), env.int('RIG_DISCOVERY_INTERVAL_MS', 500, 50, 60_000));

  const routes: Route[] = [
    {
      method: 'POST',
      pattern: '/v1/sessions',
      signed: false,
      handler: async (ctx) => {
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
          rt.metrics.rejected.inc({ reason: 'validation' });
          outcomes.inc({ status: '400' });
          return { status: 400, body: { code: 'bad_request', errors: v.errors } };
        }
        // Every request gets a key, so the gateway's own retries are exactly-once too.
        const key = typeof given === 'string' ? `client:${given}` : `gw:${randomUUID()}`;
        const reply = await forwarder.forward('POST', '/v1/sessions', v.value, { 'idempotency-key': key });
        outcomes.inc({ status: String(reply.status) });
        return reply;
      },
    },
    {
      method: 'GET',
      pattern: '/v1/sessions/:sessionId',
      signed: false,
      handler: (ctx) => {
        const id = ctx.params.sessionId!;
        if (!sessionIdPattern.test(id))
          return {
            status: 400,
            body: { code: 'bad_request', errors: [{ field: 'sessionId', message: 'is not a session id' }] },
          };
        return forwarder.forward('GET', `/v1/sessions/${id}`, undefined, {});
      },
    },
  ];
  return {
    routes,
    health: () => ({ leader: forwarder.leaderHint ?? null }),
    async close() {
      clearInterval(discovery);
      for (const peer of managers.values()) peer.close();
    },
  };
});
