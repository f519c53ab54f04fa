// Proves that a service's routes can be reached without any socket, as a simulated network will reach them: the
// dispatcher alone verifies signatures before the handler runs. One signed request and one unsigned request go to
// the same signed route on a fixed clock: the first is answered by the handler (200, with the key id that signed),
// the second is refused with 401 and the stable code `unsigned`, never reaches the handler, and is counted by reason.
// And that every 503 leaves with a Retry-After, however it was made: a handler's reply, a thrown error, with or
// without a retryAfterMs to take it from; one the handler set stays.
import { describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../clock.ts';
import { createDispatcher, type Route } from '../dispatch.ts';
import { ServiceError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { createHttpMetrics } from '../metrics.ts';
import { seededRandom } from '../random.ts';
import { parseKeyRing, signRequest, Verifier } from '../signing.ts';

const nowMs = 1_700_000_000_000;
const clock: Clock = { ...systemClock(), wallMs: () => nowMs, monotonicMs: () => nowMs };
const ring = parseKeyRing('k1:dispatch-secret-0001');

function setup() {
  const handled: unknown[] = [];
  const routes: Route[] = [
    {
      method: 'POST',
      pattern: '/v1/txn/:txnId/prepare',
      signed: true,
      handler: (ctx) => {
        handled.push(ctx.body);
        return { status: 200, body: { txnId: ctx.params.txnId, signedBy: ctx.signedBy } };
      },
    },
  ];
  const metrics = createHttpMetrics('test', 'test');
  const dispatch = createDispatcher({
    routes,
    clock,
    logger: createLogger(
      'test',
      'test',
      () => nowMs,
      'error',
      () => {},
    ),
    metrics,
    verifier: new Verifier(ring, { windowMs: 30_000, nonceCacheMax: 1000 }),
  });
  return { dispatch, handled, metrics };
}

describe('createDispatcher', () => {
  it('answers a signed request through its handler and refuses an unsigned one with 401 unsigned', async () => {
    const { dispatch, handled, metrics } = setup();
    const path = '/v1/txn/t1/prepare';
    const body = JSON.stringify({ token: 3 });
    const headers = {
      'content-type': 'application/json',
      ...signRequest(ring, 'POST', path, body, nowMs, seededRandom(1)),
    };

    const signed = await dispatch('POST', path, headers, async () => Buffer.from(body));
    expect(signed).toEqual({ status: 200, body: { txnId: 't1', signedBy: 'k1' } });
    expect(handled).toEqual([{ token: 3 }]);

    const unsigned = await dispatch('POST', path, { 'content-type': 'application/json' }, async () =>
      Buffer.from(body),
    );
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).toMatchObject({ code: 'unsigned' });
    expect(handled).toHaveLength(1);
    expect((await metrics.rejected.get()).values).toEqual([
      expect.objectContaining({ labels: { reason: 'unsigned' }, value: 1 }),
    ]);
  });
});

describe('Retry-After', () => {
  const answers: Record<string, Route['handler']> = {
    '/plain': () => ({ status: 503, body: { code: 'draining' } }),
    '/thrown': () => {
      throw new ServiceError('unavailable', 'the store is away');
    },
    '/named': () => {
      throw new ServiceError('overloaded', 'queue full', { retryAfterMs: 1001 });
    },
    '/short': () => ({ status: 503, body: { code: 'overloaded', retryAfterMs: 20 } }),
    '/set': () => ({ status: 503, headers: { 'Retry-After': '7' }, body: {} }),
    '/ok': () => ({ status: 200, body: {} }),
  };

  it('is on every 503: from retryAfterMs rounded up to whole seconds, else 1 s; one already set stays', async () => {
    const routes: Route[] = Object.entries(answers).map(([pattern, handler]) => ({
      method: 'GET',
      pattern,
      signed: false,
      handler,
    }));
    const metrics = createHttpMetrics('test', 'test');
    const logger = createLogger(
      'test',
      'test',
      () => nowMs,
      'error',
      () => {},
    );
    const dispatch = createDispatcher({ routes, clock, logger, metrics });
    const got: Record<string, unknown> = {};
    for (const path of Object.keys(answers)) {
      const r = await dispatch('GET', path, {}, async () => Buffer.alloc(0));
      got[path] = [r.status, r.headers];
    }
    expect(got).toEqual({
      '/plain': [503, { 'retry-after': '1' }],
      '/thrown': [503, { 'retry-after': '1' }],
      '/named': [503, { 'retry-after': '2' }],
      '/short': [503, { 'retry-after': '1' }],
      '/set': [503, { 'Retry-After': '7' }],
      '/ok': [200, undefined],
    });
  });
});
