// The session manager's HTTP API (all signed: only the gateway and the participants call it).
import {
  cellIdPattern,
  cellsPerRequestMax,
  isProtocol,
  isTrafficClass,
  subscriberIdPattern,
  type TrafficClass,
} from '../common/contract.ts';
import { ServiceError } from '../common/errors.ts';
import type { Route } from '../common/http-server.ts';
import type { Coordinator } from './coordinator.ts';
import type { Finisher } from './finisher.ts';
import type { Scheduler } from './scheduler.ts';
import type { Dsm } from './store.ts';
import type { SessionRequest } from './txlog.ts';

export interface SessionDefaults {
  cells: number;
}

// Credit held per session, by traffic class. The spec names no tariff; these keep voice cheapest to admit.
export const tariff: Record<TrafficClass, number> = { voice: 5, video: 20, data: 10 };

/** The subscriber's home cell: a stable hash of the canonical id onto cell-1..cell-N. */
export function homeCell(subscriberId: string, cells: number): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < subscriberId.length; i++) h = Math.imul(h ^ subscriberId.charCodeAt(i), 0x01000193) >>> 0;
  return `cell-${(h % cells) + 1}`;
}

/** The gateway has validated and normalised already; this re-checks the shape at our own boundary. */
export function parseInternalRequest(body: unknown, defaults: SessionDefaults): SessionRequest {
  const b = body as Record<string, unknown> | undefined;
  const bad = (field: string) => new ServiceError('bad_request', `invalid ${field}`, { field });
  if (!b || typeof b !== 'object') throw new ServiceError('bad_request', 'body must be a JSON object');
  if (typeof b.subscriberId !== 'string' || !subscriberIdPattern.test(b.subscriberId)) throw bad('subscriberId');
  if (!isTrafficClass(b.trafficClass)) throw bad('trafficClass');
  if (!isProtocol(b.protocol)) throw bad('protocol');
  const cells = b.cells === undefined ? [homeCell(b.subscriberId, defaults.cells)] : (b.cells as unknown);
  if (
    !Array.isArray(cells) ||
    cells.length === 0 ||
    cells.length > cellsPerRequestMax ||
    !cells.every((c) => typeof c === 'string' && cellIdPattern.test(c))
  ) {
    throw bad('cells');
  }
  return {
    subscriberId: b.subscriberId,
    trafficClass: b.trafficClass,
    protocol: b.protocol,
    cells: cells as string[],
    amount: tariff[b.trafficClass],
  };
}

export function sessionRoutes(
  coordinator: Coordinator,
  scheduler: Scheduler,
  finisher: Finisher,
  dsm: Dsm,
  defaults: SessionDefaults,
  leaderHint: () => string | undefined,
): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/v1/sessions',
      signed: true,
      handler: async (ctx) => {
        const request = parseInternalRequest(ctx.body, defaults);
        const header = ctx.headers['idempotency-key'];
        const key = typeof header === 'string' ? header : undefined;
        coordinator.epochOrThrow(); // a follower answers not_leader at once instead of queueing
        const { value: outcome, queueMs } = await scheduler.submit(
          request.trafficClass,
          () => coordinator.createSession(request, key),
          key,
        );
        outcome.timings.queueMs = Math.round(queueMs);
        if (outcome.outcome === 'committed') return { status: 201, body: outcome };
        return { status: 409, body: { code: 'aborted', ...outcome } };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/sessions/:sessionId',
      signed: true,
      handler: async (ctx) => {
        const found = await dsm.read(ctx.params.sessionId!);
        if (!found) throw new ServiceError('not_found', `no session ${ctx.params.sessionId}`);
        return { status: 200, body: { ...found.record, version: found.version, token: found.token } };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/txn/:txnId/decision',
      signed: true,
      handler: async (ctx) => {
        const answer = await finisher.decisionFor(ctx.params.txnId!);
        if (!answer) {
          throw new ServiceError('not_leader', 'this session manager is not the leader', {
            leader: leaderHint() ?? null,
            retryAfterMs: 200,
          });
        }
        return { status: 200, body: answer };
      },
    },
  ];
}
