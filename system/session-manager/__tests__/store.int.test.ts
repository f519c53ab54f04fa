// The DSM against a real Redis: versioned compare-and-swap, fencing by the leader's token (a refused write changes
// nothing), the audit list the checkers read, and its optional bound; and the event stream's batched, deduplicated,
// fenced appends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEnvironmentHandle, startLocal } from '../../../harness/env/local.ts';
import { redisUrl } from '../../../harness/env/types.ts';
import { connectRedis } from '../../common/redis.ts';
import { keys, RedisStore, type SessionRecord, type SessionStatus } from '../store.ts';

let dir: string;
let env: LocalEnvironmentHandle;
let redis: Redis;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rig-store-'));
  env = await startLocal({ dir });
  redis = connectRedis({ url: redisUrl(env.redis), keyPrefix: '', commandTimeoutMs: 5000 });
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
});

afterAll(async () => {
  redis?.disconnect();
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const record = (sessionId: string, status: SessionStatus = 'PENDING'): SessionRecord => ({
  sessionId,
  txnId: `txn-${sessionId}`,
  subscriberId: 'imsi-001010000000001',
  trafficClass: 'voice',
  protocol: '2pc',
  cells: ['cell-1'],
  status,
  txnState: status === 'RELEASED' ? 'COMMITTED' : status,
  revision: status === 'COMMITTED' ? 1 : 0,
  updatedAtMs: 1,
});

async function audit(): Promise<
  Array<{ key: string; expected: number; version: number; token: number; status: string; outcome: string }>
> {
  return (await redis.lrange(keys.dsmAudit, 0, -1)).map((l) => JSON.parse(l));
}

describe('DSM compare-and-swap', () => {
  it('writes only at the expected version, and a refused write changes nothing', async () => {
    await redis.flushall();
    const store = new RedisStore(redis, 'sm-1');
    expect(await store.cas(0, 1, record('s1'))).toBe(1);
    expect(await store.cas(1, 1, record('s1', 'PREPARED'))).toBe(2);
    await expect(store.cas(1, 1, record('s1', 'ABORTED'))).rejects.toMatchObject({ code: 'conflict' });
    await expect(store.cas(0, 1, record('s1', 'ABORTED'))).rejects.toMatchObject({ code: 'conflict' });
    expect(await store.read('s1')).toMatchObject({ version: 2, token: 1, record: { status: 'PREPARED' } });
    // Every attempt is audited, the refused ones with the version they found.
    expect((await audit()).map((a) => [a.expected, a.version, a.status, a.outcome])).toEqual([
      [0, 1, 'PENDING', 'ok'],
      [1, 2, 'PREPARED', 'ok'],
      [1, 2, 'ABORTED', 'version'],
      [0, 2, 'ABORTED', 'version'],
    ]);
  });

  it('writes at any version only with the planted bug cas-no-compare, and audits what it expected', async () => {
    await redis.flushall();
    const careless = new RedisStore(redis, 'sm-1', {
      streamMaxLen: 0,
      auditMaxLen: 0,
      checkTokens: true,
      sequencePerSession: true,
      compareVersions: false,
    });
    await careless.cas(0, 1, record('s1'));
    expect(await careless.cas(0, 1, record('s1', 'ABORTED'))).toBe(2);
    expect((await audit()).map((a) => [a.expected, a.version, a.outcome])).toEqual([
      [0, 1, 'ok'],
      [0, 2, 'ok'],
    ]);
  });

  it('refuses a token older than the highest it has accepted, on any record, and changes nothing', async () => {
    await redis.flushall();
    const store = new RedisStore(redis, 'sm-1');
    await store.cas(0, 1, record('s1'));
    await store.cas(0, 2, record('s2'));
    await expect(store.cas(1, 1, record('s1', 'COMMITTED'))).rejects.toMatchObject({ code: 'stale_token' });
    expect(await store.read('s1')).toMatchObject({ version: 1, token: 1, record: { status: 'PENDING' } });
    expect((await audit()).map((a) => [a.token, a.outcome])).toEqual([
      [1, 'ok'],
      [2, 'ok'],
      [1, 'stale-token'],
    ]);
  });

  it('accepts the stale token only with the planted bug no-fencing', async () => {
    await redis.flushall();
    const unfenced = new RedisStore(redis, 'sm-1', {
      streamMaxLen: 0,
      auditMaxLen: 0,
      checkTokens: false,
      sequencePerSession: true,
      compareVersions: true,
    });
    await unfenced.cas(0, 2, record('s2'));
    expect(await unfenced.cas(0, 1, record('s1'))).toBe(1);
    expect((await audit()).map((a) => a.token)).toEqual([2, 1]);
  });

  it('keeps only the newest audit entries when bounded', async () => {
    await redis.flushall();
    const bounded = new RedisStore(redis, 'sm-1', {
      streamMaxLen: 0,
      auditMaxLen: 3,
      checkTokens: true,
      sequencePerSession: true,
      compareVersions: true,
    });
    for (let i = 1; i <= 5; i++) await bounded.cas(0, 1, record(`s${i}`));
    expect((await audit()).map((a) => a.key)).toEqual([3, 4, 5].map((i) => keys.session(`s${i}`)));
  });
});

describe('event stream', () => {
  const event = (txnId: string, sessionId: string) => ({
    txnId,
    sessionId,
    outcome: 'commit' as const,
    decidedAtMs: 7,
  });
  const entries = async () =>
    (await redis.xrange(keys.stream, '-', '+')).map(([id, fields]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      return { id, txnId: f.txnId, seq: Number(f.seq), token: Number(f.token) };
    });

  it('appends a batch in order with a sequence per session, and never appends a txn twice', async () => {
    await redis.flushall();
    const store = new RedisStore(redis, 'sm-1');
    const first = await store.emit([event('t1', 's1'), event('t2', 's2'), event('t3', 's1')], 1);
    expect(await entries()).toEqual([
      { id: first[0], txnId: 't1', seq: 1, token: 1 },
      { id: first[1], txnId: 't2', seq: 1, token: 1 },
      { id: first[2], txnId: 't3', seq: 2, token: 1 },
    ]);
    // A relay retrying a batch that partly landed: the appended one answers with its entry, the rest are appended.
    const again = await store.emit([event('t3', 's1'), event('t4', 's1')], 2);
    expect(again[0]).toBe(first[2]);
    expect((await entries()).slice(3)).toEqual([{ id: again[1], txnId: 't4', seq: 3, token: 2 }]);
    expect(await store.emit([], 2)).toEqual([]);
  });

  it('refuses a whole batch under a stale token, and appends none of it', async () => {
    await redis.flushall();
    const store = new RedisStore(redis, 'sm-1');
    await store.emit([event('t1', 's1')], 2);
    await expect(store.emit([event('t2', 's1'), event('t3', 's2')], 1)).rejects.toMatchObject({
      code: 'stale_token',
    });
    expect((await entries()).map((e) => e.txnId)).toEqual(['t1']);
  });
});
