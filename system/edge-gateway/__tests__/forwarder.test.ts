// Proves the gateway never turns an ambiguous attempt into a definite failure: once an attempt may have landed, a
// later 503 (shed, no leader) must not reach the client as "certainly not done". Found by `rig run` (seed 7):
// fail-but-committed after a timed-out attempt followed by an overloaded retry.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.ts';
import { ServiceError } from '../../common/errors.ts';
import type { CallOptions, PeerPort } from '../../common/peer-port.ts';
import { Forwarder } from '../forwarder.ts';

type Step = { status: number; body: Record<string, unknown> } | ServiceError;

function fakePeers(steps: Step[]): Map<string, PeerPort> {
  const call = async () => {
    const next = steps.shift();
    if (!next) throw new ServiceError('unavailable', 'no more scripted answers', {}, true);
    if (next instanceof ServiceError) throw next;
    return next;
  };
  return new Map([['sm-1', { call } as unknown as PeerPort]]);
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

  // A paused old leader: its attempt gets no answer until abandoned (as Peer fails an aborted call: indeterminate).
  function pausedAndNew(seen: string[]): Map<string, PeerPort> {
    const paused = {
      call: (_m: string, _p: string, _b: unknown, opts: CallOptions) => {
        seen.push('sm-1');
        return new Promise((_resolve, reject) => {
          opts.signal?.addEventListener('abort', () => reject(new ServiceError('unavailable', 'abandoned', {}, false)));
        });
      },
    };
    const leader = {
      call: async (_m: string, _p: string, _b: unknown, opts: CallOptions) => {
        seen.push(`sm-2 ${opts.headers?.['idempotency-key']}`);
        return { status: 201, body: { outcome: 'committed' } };
      },
    };
    return new Map([
      ['sm-1', paused as unknown as PeerPort],
      ['sm-2', leader as unknown as PeerPort],
    ]);
  }

  it('abandons an attempt on a silent manager when a newer leader is found, and retries there with the same key', async () => {
    const seen: string[] = [];
    const f = new Forwarder(pausedAndNew(seen), { ...config, attemptTimeoutMs: 60_000 }, systemClock());
    f.leaderFound('sm-1', 3);
    const reply = f.forward('POST', '/v1/sessions', {}, { 'idempotency-key': 'k' });
    await until(() => seen.length === 1);
    f.leaderFound('sm-1', 3); // the same leader again abandons nothing
    f.leaderFound('sm-2', 4);
    expect((await reply).status).toBe(201);
    expect(seen).toEqual(['sm-1', 'sm-2 k']);
    expect(f.leaderHint).toBe('sm-2');
  });

  it('takes a not_leader hint at a newer epoch as news of a new leader: attempts waiting elsewhere are retried there', async () => {
    const seen: string[] = [];
    const peers = pausedAndNew(seen);
    const follower = {
      call: async () => ({ status: 503, body: { code: 'not_leader', leader: 'sm-2', epoch: 4 } }),
    };
    peers.set('sm-3', follower as unknown as PeerPort);
    const f = new Forwarder(peers, { ...config, attemptTimeoutMs: 60_000 }, systemClock());
    f.leaderFound('sm-1', 3);
    const stuck = f.forward('POST', '/v1/sessions', {}, { 'idempotency-key': 'k1' });
    await until(() => seen.length === 1);
    // The next request goes to sm-3, whose hint names sm-2 at epoch 4: the attempt waiting on sm-1 is abandoned.
    f.leaderFound('sm-3', 3);
    const asked = await f.forward('POST', '/v1/sessions', {}, { 'idempotency-key': 'k2' });
    expect(asked.status).toBe(201);
    expect((await stuck).status).toBe(201);
    expect([...seen].sort()).toEqual(['sm-1', 'sm-2 k1', 'sm-2 k2']);
    expect(f.leaderHint).toBe('sm-2');
  });

  it('does not take a not_leader hint at an older epoch for news: it only points the next attempt', async () => {
    const seen: string[] = [];
    const peers = pausedAndNew(seen);
    peers.set('sm-3', {
      call: async () => ({ status: 503, body: { code: 'not_leader', leader: 'sm-2', epoch: 2 } }),
    } as unknown as PeerPort);
    const f = new Forwarder(peers, { ...config, attemptTimeoutMs: 60_000 }, systemClock());
    f.leaderFound('sm-1', 3);
    const stuck = f.forward('POST', '/v1/sessions', {}, { 'idempotency-key': 'k1' });
    await until(() => seen.length === 1);
    f.leaderFound('sm-3', 3);
    expect((await f.forward('POST', '/v1/sessions', {}, { 'idempotency-key': 'k2' })).status).toBe(201);
    // The attempt on sm-1 still waits: an older epoch's hint is no news of a new leader.
    expect(seen).toEqual(['sm-1', 'sm-2 k2']);
    f.leaderFound('sm-2', 5);
    expect((await stuck).status).toBe(201);
  });

  it('ignores a leader at a lower epoch than one already found (a deposed leader that has not noticed)', async () => {
    const seen: string[] = [];
    const f = new Forwarder(pausedAndNew(seen), config, systemClock());
    f.leaderFound('sm-2', 4);
    f.leaderFound('sm-1', 3);
    expect(f.leaderHint).toBe('sm-2');
    expect((await f.forward('POST', '/v1/sessions', {}, { 'idempotency-key': 'k' })).status).toBe(201);
    expect(seen).toEqual(['sm-2 k']);
  });
});

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}
