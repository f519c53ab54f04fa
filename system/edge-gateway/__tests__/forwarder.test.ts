// Proves the gateway never turns an ambiguous attempt into a definite failure: once an attempt may have landed, a
// later 503 (shed, no leader) must not reach the client as "certainly not done". Found by `rig run` (seed 7):
// fail-but-committed after a timed-out attempt followed by an overloaded retry.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.ts';
import { ServiceError } from '../../common/errors.ts';
import type { Peer } from '../../common/peer.ts';
import { Forwarder } from '../forwarder.ts';

type Step = { status: number; body: Record<string, unknown> } | ServiceError;

function fakePeers(steps: Step[]): Map<string, Peer> {
  const call = async () => {
    const next = steps.shift();
    if (!next) throw new ServiceError('unavailable', 'no more scripted answers', {}, true);
    if (next instanceof ServiceError) throw next;
    return next;
  };
  return new Map([['sm-1', { call } as unknown as Peer]]);
}

const config = { attemptTimeoutMs: 1000, requestDeadlineMs: 2000, attemptsMax: 3, backoffBaseMs: 1, backoffMaxMs: 2 };
const timeout = () => new ServiceError('timeout', 'no answer', {}, false);
const shed = { status: 503, body: { code: 'overloaded' } };

describe('Forwarder', () => {
  it('passes a first, definite 503 on to the client', async () => {
    const f = new Forwarder(fakePeers([shed]), config, systemClock());
    expect((await f.forward('POST', '/v1/sessions', {}, { 'idempotency-key': 'k' })).status).toBe(503);
  });

  it('answers 504 when a 503 follows an attempt that may have landed', async () => {
    const f = new Forwarder(fakePeers([timeout(), shed, shed]), config, systemClock());
    const r = await f.forward('POST', '/v1/sessions', {}, { 'idempotency-key': 'k' });
    expect(r.status).toBe(504);
    expect(r.body).toMatchObject({ code: 'unknown_outcome' });
  });

  it('returns the keyed outcome when a retry learns it', async () => {
    const f = new Forwarder(
      fakePeers([timeout(), shed, { status: 201, body: { outcome: 'committed' } }]),
      config,
      systemClock(),
    );
    expect((await f.forward('POST', '/v1/sessions', {}, { 'idempotency-key': 'k' })).status).toBe(201);
  });
});
