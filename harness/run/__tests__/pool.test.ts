// Proves the session pool resolves slot ops as the workloads expect: an empty slot turns the op into a create into
// it; a held slot gives the session last created into it; a conditional write carries the revision its own client last
// saw (a 412 teaches it the current one), or the creation's revision when it never saw the session; a release, or an
// answer that the session is released or unknown, frees the slot; an unknown outcome teaches nothing.
import { describe, expect, it } from 'vitest';
import type { OpSpec } from '../../../workloads/index.ts';
import type { Completion } from '../client.ts';
import { SessionPool } from '../pool.ts';

const orCreate = { subscriberId: 'imsi-001010000000001', trafficClass: 'data' as const, protocol: '2pc' as const };
const read = (slot: number, requestId = 'r9'): OpSpec => ({ f: 'read-session', slot, requestId, orCreate });
const modify = (slot: number, conditional: boolean, requestId = 'r9'): OpSpec => ({
  f: 'modify-session',
  slot,
  requestId,
  orCreate,
  conditional,
  change: { trafficClass: 'video' },
});
const release = (slot: number, conditional: boolean, requestId = 'r9'): OpSpec => ({
  f: 'release-session',
  slot,
  requestId,
  orCreate,
  conditional,
});
const ok = (value: Record<string, unknown>): Completion => ({ type: 'ok', value });
const fail = (value: Record<string, unknown>): Completion => ({ type: 'fail', value, error: String(value.code) });

/** A pool whose slot 0 holds session s1, created by client 0 at revision 1. */
function withSession(): SessionPool {
  const pool = new SessionPool();
  const create = pool.resolve(read(0, 'r0'), 0);
  pool.learn(create, 0, ok({ sessionId: 's1', txnId: 't1', outcome: 'committed', kind: 'create', revision: 1 }));
  return pool;
}

describe('SessionPool.resolve', () => {
  it('turns an op on an empty slot into a create into that slot, under the op request id', () => {
    const pool = new SessionPool();
    expect(pool.resolve(modify(3, true, 'r7'), 0)).toEqual({
      f: 'create-session',
      value: { requestId: 'r7', ...orCreate },
      slot: 3,
    });
    // A create that fails, or is unknown, fills nothing.
    const op = pool.resolve(read(3), 0);
    pool.learn(op, 0, fail({ status: 409, code: 'aborted' }));
    pool.learn(op, 0, { type: 'info', value: { status: 504 }, error: 'unknown_outcome' });
    expect(pool.sessionIn(3)).toBeUndefined();
  });

  it('resolves a held slot to its session: a read by id, writes with or without If-Match', () => {
    const pool = withSession();
    expect(pool.resolve(read(0), 1)).toEqual({ f: 'read-session', value: { sessionId: 's1' }, slot: 0 });
    expect(pool.resolve(modify(0, true), 1).value).toEqual({
      requestId: 'r9',
      sessionId: 's1',
      ifMatch: 1,
      trafficClass: 'video',
    });
    expect(pool.resolve(modify(0, false), 1).value).toEqual({
      requestId: 'r9',
      sessionId: 's1',
      trafficClass: 'video',
    });
    expect(pool.resolve(release(0, true), 1).value).toEqual({ requestId: 'r9', sessionId: 's1', ifMatch: 1 });
    expect(pool.resolve(release(0, false), 1).value).toEqual({ requestId: 'r9', sessionId: 's1' });
  });

  it('leaves a create without a slot out of the pool, and a create with one fills it', () => {
    const pool = new SessionPool();
    const value = { requestId: 'r1', ...orCreate };
    const loose = pool.resolve({ f: 'create-session', value }, 0);
    expect(loose).toEqual({ f: 'create-session', value, slot: undefined });
    pool.learn(loose, 0, ok({ sessionId: 's1', revision: 1 }));
    expect(pool.sessionIn(0)).toBeUndefined();
    const placed = pool.resolve({ f: 'create-session', value, slot: 2 }, 0);
    pool.learn(placed, 0, ok({ sessionId: 's2' }));
    expect(pool.sessionIn(2)).toBe('s2');
    // Without a revision in the answer, a creation is taken as revision 1 (docs/api.md).
    expect(pool.resolve(modify(2, true), 5).value).toMatchObject({ ifMatch: 1 });
  });
});

describe('SessionPool.learn: each client conditions on what it saw', () => {
  it('uses the revision of its own last answer; another client uses the creation revision until it learns', () => {
    const pool = withSession();
    const mine = pool.resolve(modify(0, true), 0);
    pool.learn(mine, 0, ok({ sessionId: 's1', txnId: 't2', outcome: 'committed', kind: 'modify', revision: 2 }));
    expect(pool.resolve(modify(0, true), 0).value).toMatchObject({ ifMatch: 2 });
    expect(pool.resolve(modify(0, true), 1).value).toMatchObject({ ifMatch: 1 });
    // Client 1 tries revision 1, gets 412 with the current revision, and uses that next.
    const stale = pool.resolve(modify(0, true), 1);
    pool.learn(stale, 1, fail({ status: 412, code: 'precondition_failed', sessionId: 's1', revision: 2 }));
    expect(pool.resolve(release(0, true), 1).value).toMatchObject({ ifMatch: 2 });
    // A read teaches too: the last answer is what the client knows.
    pool.learn(pool.resolve(read(0), 1), 1, ok({ sessionId: 's1', revision: 5, status: 'COMMITTED' }));
    expect(pool.resolve(modify(0, true), 1).value).toMatchObject({ ifMatch: 5 });
  });

  it('learns nothing from an unknown outcome, an abort or a change in flight', () => {
    const pool = withSession();
    const op = pool.resolve(modify(0, true), 0);
    pool.learn(op, 0, { type: 'info', value: { status: 504 }, error: 'unknown_outcome' });
    pool.learn(op, 0, fail({ status: 409, code: 'aborted', reason: 'no_capacity', revision: 1 }));
    pool.learn(op, 0, fail({ status: 409, code: 'not_active', reason: 'change-in-flight', revision: 1 }));
    expect(pool.sessionIn(0)).toBe('s1');
    expect(pool.resolve(modify(0, true), 0).value).toMatchObject({ ifMatch: 1 });
  });

  it("forgets a client's revision of a session that left the slot", () => {
    const pool = withSession();
    pool.learn(pool.resolve(read(0), 0), 0, ok({ sessionId: 's1', revision: 4, status: 'COMMITTED' }));
    pool.learn(pool.resolve(release(0, false), 1), 1, ok({ sessionId: 's1', revision: 5 }));
    const create = pool.resolve(read(0), 1);
    pool.learn(create, 1, ok({ sessionId: 's2', revision: 1 }));
    expect(pool.resolve(modify(0, true), 0).value).toMatchObject({ sessionId: 's2', ifMatch: 1 });
  });
});

describe('SessionPool.learn: a session that can no longer change frees its slot', () => {
  const frees: [string, OpSpec, Completion][] = [
    ['a committed release', release(0, true), ok({ sessionId: 's1', revision: 2, kind: 'release' })],
    ['a read of a released session', read(0), ok({ sessionId: 's1', revision: 2, status: 'RELEASED' })],
    ['409 not_active, released', modify(0, false), fail({ status: 409, code: 'not_active', reason: 'RELEASED' })],
    ['409 not_active, aborted', modify(0, false), fail({ status: 409, code: 'not_active', reason: 'ABORTED' })],
    ['404', read(0), fail({ status: 404, reason: 'not_found' })],
  ];
  it.each(frees)('%s', (_name, spec, done) => {
    const pool = withSession();
    pool.learn(pool.resolve(spec, 0), 0, done);
    expect(pool.sessionIn(0)).toBeUndefined();
    expect(pool.resolve(read(0, 'r4'), 0).f).toBe('create-session');
  });

  it('but never a newer session that took the slot meanwhile', () => {
    const pool = withSession();
    const old = pool.resolve(release(0, false), 0);
    pool.learn(
      pool.resolve({ f: 'create-session', value: { requestId: 'r2', ...orCreate }, slot: 0 }, 1),
      1,
      ok({ sessionId: 's2' }),
    );
    pool.learn(old, 0, ok({ sessionId: 's1', revision: 2 }));
    expect(pool.sessionIn(0)).toBe('s2');
  });
});
