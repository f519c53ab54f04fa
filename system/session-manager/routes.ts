// The session manager's HTTP API (all signed: only the gateway and the participants call it).
import {
  cellIdPattern,
  cellsPerRequestMax,
  isProtocol,
  isTrafficClass,
  type Revision,
  revisionTagPattern,
  sessionIdPattern,
  subscriberIdPattern,
} from '../common/contract.ts';
import type { Handler, Route } from '../common/dispatch.ts';
import { ServiceError } from '../common/errors.ts';
import { type Coordinator, notLeader } from './coordinator.ts';
import type { Finisher } from './finisher.ts';
import type { LeaderHint } from './leader.ts';
import { homeCell, tariff } from './pricing.ts';
import type { Scheduler } from './scheduler.ts';
import type { Dsm } from './store.ts';
import type { SessionChange, SessionRequest } from './txlog.ts';

export interface SessionDefaults {
  cells: number;
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
  if (!isCellList(cells)) throw bad('cells');
  return {
    subscriberId: b.subscriberId,
    trafficClass: b.trafficClass,
    protocol: b.protocol,
    cells: cells as string[],
    amount: tariff[b.trafficClass],
  };
}

function isCellList(cells: unknown): cells is string[] {
  return (
    Array.isArray(cells) &&
    cells.length > 0 &&
    cells.length <= cellsPerRequestMax &&
    cells.every((c) => typeof c === 'string' && cellIdPattern.test(c))
  );
}

/** A modify's body, as the gateway normalised it: `trafficClass` and/or `cells`. */
export function parseModifyRequest(body: unknown): SessionChange {
  const b = body as Record<string, unknown> | undefined;
  if (!b || typeof b !== 'object') throw new ServiceError('bad_request', 'body must be a JSON object');
  const bad = (field: string) => new ServiceError('bad_request', `invalid ${field}`, { field });
  if (b.trafficClass !== undefined && !isTrafficClass(b.trafficClass)) throw bad('trafficClass');
  if (b.cells !== undefined && !isCellList(b.cells)) throw bad('cells');
  if (b.trafficClass === undefined && b.cells === undefined) throw bad('body: trafficClass or cells');
  return {
    kind: 'modify',
    ...(b.trafficClass !== undefined ? { trafficClass: b.trafficClass } : {}),
    ...(b.cells !== undefined ? { cells: b.cells } : {}),
  };
}

/** `If-Match`: one strong entity tag `"<revision>"`, or `*` (any: the same as none, the session must exist anyway). */
export function parseIfMatch(header: string | string[] | undefined): Revision | undefined {
  if (header === undefined || header === '*') return undefined;
  const m = typeof header === 'string' ? revisionTagPattern.exec(header.trim()) : null;
  if (!m)
    throw new ServiceError('bad_request', 'If-Match must be one entity tag "<revision>" or *', { field: 'If-Match' });
  return Number(m[1]);
}

/** PATCH and DELETE: queued under the class the session will have, then run as one transaction. */
function changeHandler(
  coordinator: Coordinator,
  scheduler: Scheduler,
  dsm: Dsm,
  parse: (body: unknown) => SessionChange,
): Handler {
  return async (ctx) => {
    const sessionId = ctx.params.sessionId!;
    if (!sessionIdPattern.test(sessionId)) throw new ServiceError('bad_request', 'invalid sessionId');
    const change = parse(ctx.body);
    const ifMatch = parseIfMatch(ctx.headers['if-match']);
    const header = ctx.headers['idempotency-key'];
    const key = typeof header === 'string' ? header : undefined;
    coordinator.epochOrThrow();
    const found = await dsm.read(sessionId);
    if (!found) throw new ServiceError('not_found', `no session ${sessionId}`);
    const trafficClass = (change.kind === 'modify' && change.trafficClass) || found.record.trafficClass;
    const { value: outcome, queueMs } = await scheduler.submit(
      trafficClass,
      () => coordinator.changeSession(sessionId, change, ifMatch, key),
      key,
    );
    outcome.timings.queueMs = Math.round(queueMs);
    if (outcome.outcome === 'committed') return { status: 200, body: outcome };
    return { status: 409, body: { code: 'aborted', ...outcome } };
  };
}

export function sessionRoutes(
  coordinator: Coordinator,
  scheduler: Scheduler,
  finisher: Finisher,
  dsm: Dsm,
  defaults: SessionDefaults,
  leaderHint: () => LeaderHint | undefined,
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
      method: 'PATCH',
      pattern: '/v1/sessions/:sessionId',
      signed: true,
      handler: changeHandler(coordinator, scheduler, dsm, parseModifyRequest),
    },
    {
      method: 'DELETE',
      pattern: '/v1/sessions/:sessionId',
      signed: true,
      handler: changeHandler(coordinator, scheduler, dsm, () => ({ kind: 'release' })),
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
          throw notLeader(leaderHint());
        }
        return { status: 200, body: answer };
      },
    },
  ];
}
