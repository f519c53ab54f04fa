// The session manager's Redis side, one test body against two targets (DESIGN section 9): a real Redis (a private
// redis-server, as a run starts it) and the simulator's model of it (harness/sim/models/redis.ts). The real target proves
// each case right; the model target proves the model matches. Between them they cover every outcome of every
// script the model follows: the leader lease (acquire-2, renew-1, release-1), the DSM's versioned compare-and-swap
// fenced by the leader's token with its audit list (cas-3), the event stream's batched, deduplicated, fenced
// appends and their trimming (emit-4), and what survives a restart of the server. Time passes on the real server
// by waiting for a condition under a deadline, and on the model by running its kernel.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalEnvironmentHandle, startLocal } from '../../../harness/env/local.ts';
import { redisUrl } from '../../../harness/env/types.ts';
import { Kernel, simEpochMs } from '../../../harness/sim/kernel.ts';
import { RedisModel } from '../../../harness/sim/models/redis.ts';
import { XStream } from '../../../harness/sim/models/redis-stream.ts';
import { Rng } from '../../../lib/rng.ts';
import type { Clock } from '../../common/clock.ts';
import { connectRedis } from '../../common/redis.ts';
import { type RedisEvidenceSource, readDsmAudit, readEvents } from '../evidence.ts';
import type { LeaseStore } from '../leader.ts';
import {
  type Dsm,
  type EventStream,
  keys,
  RedisStore,
  type SessionRecord,
  type SessionStatus,
  type StoreOptions,
} from '../store.ts';

type Store = LeaseStore & Dsm & EventStream;

interface Target {
  readonly name: 'redis' | 'model';
  open(): Promise<void>;
  close(): Promise<void>;
  /** An empty server. */
  reset(): Promise<void>;
  /** A node's store; with `opts`, exactly those options, as `new RedisStore(redis, node, opts)`. */
  store(node: string, opts?: StoreOptions): Store;
  readonly evidence: RedisEvidenceSource;
  exists(key: string): Promise<boolean>;
  /** Waits while time passes on the server until `cond` holds; fails after `deadlineMs` of the server's time. */
  eventually(what: string, cond: () => Promise<boolean>, deadlineMs?: number): Promise<void>;
  /** The server restarts as a run's nemesis restarts it; resolves once it serves again. */
  restart(): Promise<void>;
}

function realRedis(): Target & { client(): Redis } {
  let dir: string;
  let env: LocalEnvironmentHandle;
  let redis: Redis;
  // Serving once a PING on our connection answers (after a restart, ioredis reconnects on its own).
  const answers = async () => redis.status === 'ready' && (await redis.ping().catch(() => '')) === 'PONG';
  const ready = async (deadlineMs: number) => {
    const until = Date.now() + deadlineMs;
    while (!(await answers())) {
      if (Date.now() > until) throw new Error(`Redis not serving within ${deadlineMs} ms (${redis.status})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return {
    name: 'redis',
    client: () => redis,
    async open() {
      dir = mkdtempSync(join(tmpdir(), 'rig-store-'));
      env = await startLocal({ dir });
      redis = connectRedis({ url: redisUrl(env.redis), keyPrefix: '', commandTimeoutMs: 5000 });
      await ready(30_000);
    },
    async close() {
      redis?.disconnect();
      await env?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async reset() {
      await redis.flushall();
    },
    store: (node, opts) => (opts ? new RedisStore(redis, node, opts) : new RedisStore(redis, node)),
    get evidence() {
      return redis;
    },
    exists: async (key) => (await redis.exists(key)) === 1,
    async eventually(what, cond, deadlineMs = 10_000) {
      const until = Date.now() + deadlineMs;
      while (!(await cond())) {
        if (Date.now() > until) throw new Error(`${what}: not within ${deadlineMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async restart() {
      await env.restartRedis!();
      await ready(30_000);
    },
  };
}

function model(): Target {
  let kernel: Kernel;
  let redis: RedisModel;
  return {
    name: 'model',
    async open() {},
    async close() {},
    async reset() {
      kernel = new Kernel(23);
      redis = new RedisModel(kernel.clock('redis'));
    },
    store: (node, opts) => redis.store(node, opts),
    get evidence() {
      return redis.evidence;
    },
    exists: async (key) => redis.exists(key),
    async eventually(what, cond, deadlineMs = 10_000) {
      const until = kernel.nowMs() + deadlineMs;
      while (!(await cond())) {
        if (kernel.nowMs() > until) throw new Error(`${what}: not within ${deadlineMs} ms of virtual time`);
        await kernel.run({ untilMs: kernel.nowMs() + 10 });
      }
    },
    async restart() {
      redis.restart();
    },
  };
}

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

const defaults: StoreOptions = {
  streamMaxLen: 0,
  auditMaxLen: 0,
  checkTokens: true,
  sequencePerSession: true,
  compareVersions: true,
};

const event = (txnId: string, sessionId: string, outcome: 'commit' | 'abort' = 'commit', decidedAtMs = 7) => ({
  txnId,
  sessionId,
  outcome,
  decidedAtMs,
});

/** Stream entry ids in order, as [ms, seq]. */
const parseId = (id: string) => id.split('-').map(Number) as [number, number];
const increasing = (ids: string[]) =>
  ids.every((id, i) => {
    if (i === 0) return true;
    const [ms, seq] = parseId(id);
    const [pms, pseq] = parseId(ids[i - 1]!);
    return ms > pms || (ms === pms && seq > pseq);
  });

for (const target of [realRedis(), model()])
  describe(target.name, () => {
    beforeAll(() => target.open());
    afterAll(() => target.close());
    beforeEach(() => target.reset());

    async function audit(): Promise<
      Array<{ key: string; expected: number; version: number; token: number; status: string; outcome: string }>
    > {
      return (await target.evidence.lrange(keys.dsmAudit, 0, -1)).map((l) => JSON.parse(l));
    }

    const entries = async () =>
      (await target.evidence.xrange(keys.stream, '-', '+')).map(([id, fields]) => {
        const f: Record<string, string> = {};
        for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
        return { id, txnId: f.txnId, seq: Number(f.seq), token: Number(f.token) };
      });

    describe('leader lease', () => {
      it('acquire: a free lease goes to the caller with a new epoch; a held one to nobody, its holder included', async () => {
        const store = target.store('sm-1');
        expect(await store.acquire('sm-1', 60_000)).toEqual({ epoch: 1, holder: 'sm-1|1' });
        const held = { epoch: 0, holder: 'sm-1|1', remainingMs: expect.any(Number) };
        expect(await store.acquire('sm-2', 60_000)).toEqual(held);
        expect(await store.acquire('sm-1', 60_000)).toEqual(held);
      });

      it("acquire on a held lease tells what the holder's lease has left, as the holder set and renewed it", async () => {
        const store = target.store('sm-1');
        await store.acquire('sm-1', 60_000);
        const first = (await store.acquire('sm-2', 60_000)).remainingMs!;
        expect(first).toBeGreaterThan(0);
        expect(first).toBeLessThanOrEqual(60_000);
        expect(await store.renew('sm-1|1', 5_000)).toBe(true);
        const renewed = (await store.acquire('sm-2', 60_000)).remainingMs!;
        expect(renewed).toBeGreaterThan(0);
        expect(renewed).toBeLessThanOrEqual(5_000);
      });

      it('renew: only the holder renews, and the renewal sets the TTL it asks for', async () => {
        const store = target.store('sm-1');
        await store.acquire('sm-1', 60_000);
        expect(await store.renew('sm-2|1', 60_000)).toBe(false);
        expect(await store.renew('sm-1|2', 60_000)).toBe(false);
        // A renewal to a short TTL: the lease then lapses by itself, so the renewal set it.
        expect(await store.renew('sm-1|1', 150)).toBe(true);
        await target.eventually('the lease lapses', async () => !(await target.exists(keys.lease)));
        // The epoch counter outlives the lease: the next holder's token is higher.
        expect(await store.acquire('sm-2', 60_000)).toEqual({ epoch: 2, holder: 'sm-2|2' });
        expect(await store.renew('sm-1|1', 60_000)).toBe(false);
      });

      it('renew: an expired lease is not renewed, nor brought back', async () => {
        const store = target.store('sm-1');
        expect(await store.acquire('sm-1', 100)).toEqual({ epoch: 1, holder: 'sm-1|1' });
        await target.eventually('the lease expires', async () => !(await target.exists(keys.lease)));
        expect(await store.renew('sm-1|1', 60_000)).toBe(false);
        expect(await target.exists(keys.lease)).toBe(false);
        expect(await store.acquire('sm-2', 60_000)).toEqual({ epoch: 2, holder: 'sm-2|2' });
      });

      it('release: only by the holder; the next holder gets the next epoch', async () => {
        const store = target.store('sm-1');
        expect(await store.release('sm-1|1')).toBe(false);
        await store.acquire('sm-1', 60_000);
        expect(await store.release('sm-2|1')).toBe(false);
        expect(await target.exists(keys.lease)).toBe(true);
        expect(await store.release('sm-1|1')).toBe(true);
        expect(await target.exists(keys.lease)).toBe(false);
        expect(await store.release('sm-1|1')).toBe(false);
        expect(await store.acquire('sm-2', 60_000)).toEqual({ epoch: 2, holder: 'sm-2|2' });
      });

      it('a TTL Redis refuses: acquire fails after it has spent an epoch; a renewal to 0 ms ends the lease', async () => {
        const store = target.store('sm-1');
        await expect(store.acquire('sm-1', 0)).rejects.toThrow(/invalid expire time/);
        await expect(store.acquire('sm-1', 1.5)).rejects.toThrow(/not an integer/);
        expect(await target.exists(keys.lease)).toBe(false);
        expect(await store.acquire('sm-1', 60_000)).toEqual({ epoch: 3, holder: 'sm-1|3' });
        expect(await store.renew('sm-1|3', 0)).toBe(true);
        expect(await target.exists(keys.lease)).toBe(false);
      });
    });

    describe('DSM compare-and-swap', () => {
      it('writes only at the expected version, and a refused write changes nothing', async () => {
        const store = target.store('sm-1');
        expect(await store.read('s1')).toBeUndefined();
        expect(await store.cas(0, 1, record('s1'))).toBe(1);
        expect(await store.cas(1, 1, record('s1', 'PREPARED'))).toBe(2);
        await expect(store.cas(1, 1, record('s1', 'ABORTED'))).rejects.toMatchObject({
          code: 'conflict',
          message: 'DSM record s1 is at version 2, not 1',
          details: { version: 2 },
        });
        await expect(store.cas(0, 1, record('s1', 'ABORTED'))).rejects.toMatchObject({ code: 'conflict' });
        // A record that does not exist is at version 0.
        await expect(store.cas(3, 1, record('s2'))).rejects.toMatchObject({
          code: 'conflict',
          details: { version: 0 },
        });
        expect(await store.read('s1')).toEqual({ version: 2, token: 1, record: record('s1', 'PREPARED') });
        expect(await store.read('s2')).toBeUndefined();
        // Every attempt is audited, the refused ones with the version they found.
        expect((await audit()).map((a) => [a.expected, a.version, a.status, a.outcome])).toEqual([
          [0, 1, 'PENDING', 'ok'],
          [1, 2, 'PREPARED', 'ok'],
          [1, 2, 'ABORTED', 'version'],
          [0, 2, 'ABORTED', 'version'],
          [3, 0, 'PENDING', 'version'],
        ]);
      });

      it('audits every field the checkers read, dated by the server in microseconds', async () => {
        const store = target.store('sm-7');
        await store.cas(0, 4, record('s1', 'COMMITTED'));
        const [a] = (await target.evidence.lrange(keys.dsmAudit, 0, -1)).map((l) => JSON.parse(l));
        expect(a).toEqual({
          key: keys.session('s1'),
          expected: 0,
          version: 1,
          token: 4,
          status: 'COMMITTED',
          node: 'sm-7',
          txnId: 'txn-s1',
          session: 'COMMITTED',
          revision: 1,
          outcome: 'ok',
          atUs: expect.stringMatching(/^\d{16}$/),
        });
        await expect(readDsmAudit(target.evidence, (ms) => ms * 1e6)).resolves.toMatchObject([
          { kind: 'dsm-op', node: 'sm-7', key: 's1', value: [0, 1], outcome: 'ok', token: 4, txnId: 'txn-s1' },
          { kind: 'dsm', sessionId: 's1', version: 1, state: 'COMMITTED', status: 'COMMITTED', revision: 1, token: 4 },
        ]);
      });

      it('writes at any version only with the planted bug cas-no-compare, and audits what it expected', async () => {
        const careless = target.store('sm-1', { ...defaults, compareVersions: false });
        await careless.cas(0, 1, record('s1'));
        expect(await careless.cas(0, 1, record('s1', 'ABORTED'))).toBe(2);
        expect((await audit()).map((a) => [a.expected, a.version, a.outcome])).toEqual([
          [0, 1, 'ok'],
          [0, 2, 'ok'],
        ]);
        // It still checks tokens.
        await careless.cas(2, 3, record('s2'));
        await expect(careless.cas(0, 2, record('s2'))).rejects.toMatchObject({ code: 'stale_token' });
      });

      it('refuses a token older than the highest it has accepted, on any record, and changes nothing', async () => {
        const store = target.store('sm-1');
        await store.cas(0, 1, record('s1'));
        await store.cas(0, 2, record('s2'));
        await expect(store.cas(1, 1, record('s1', 'COMMITTED'))).rejects.toMatchObject({
          code: 'stale_token',
          message: 'DSM refused token 1: it has seen 2',
          details: { token: 1, highest: 2 },
        });
        // The token is checked before the version.
        await expect(store.cas(5, 1, record('s1'))).rejects.toMatchObject({ code: 'stale_token' });
        expect(await store.read('s1')).toMatchObject({ version: 1, token: 1, record: { status: 'PENDING' } });
        // An equal token is not stale.
        expect(await store.cas(1, 2, record('s1', 'PREPARED'))).toBe(2);
        expect((await audit()).map((a) => [a.token, a.outcome])).toEqual([
          [1, 'ok'],
          [2, 'ok'],
          [1, 'stale-token'],
          [1, 'stale-token'],
          [2, 'ok'],
        ]);
      });

      it('accepts the stale token only with the planted bug no-fencing, without lowering the fence', async () => {
        const unfenced = target.store('sm-1', { ...defaults, checkTokens: false });
        await unfenced.cas(0, 2, record('s2'));
        expect(await unfenced.cas(0, 1, record('s1'))).toBe(1);
        expect((await audit()).map((a) => a.token)).toEqual([2, 1]);
        // It still compares versions.
        await expect(unfenced.cas(0, 1, record('s1'))).rejects.toMatchObject({ code: 'conflict' });
        const fenced = target.store('sm-2');
        await expect(fenced.cas(1, 1, record('s1'))).rejects.toMatchObject({ details: { highest: 2 } });
      });

      it('keeps only the newest audit entries when bounded', async () => {
        const bounded = target.store('sm-1', { ...defaults, auditMaxLen: 3 });
        for (let i = 1; i <= 5; i++) await bounded.cas(0, 1, record(`s${i}`));
        expect((await audit()).map((a) => a.key)).toEqual([3, 4, 5].map((i) => keys.session(`s${i}`)));
        await expect(bounded.cas(0, 1, record('s5'))).rejects.toMatchObject({ code: 'conflict' });
        expect((await audit()).map((a) => [a.key, a.outcome])).toEqual([
          [keys.session('s4'), 'ok'],
          [keys.session('s5'), 'ok'],
          [keys.session('s5'), 'version'],
        ]);
        await target.store('sm-1', { ...defaults, auditMaxLen: 1 }).cas(0, 1, record('s6'));
        expect((await audit()).map((a) => a.key)).toEqual([keys.session('s6')]);
      });

      it('writes numbers to the audit as cjson does, to 14 significant digits, and to the record exactly', async () => {
        const store = target.store('sm-1');
        await store.cas(0, 123_456_789_012_345, record('s1'));
        expect((await audit())[0]!.token).toBe(123_456_789_012_340);
        expect(await store.read('s1')).toMatchObject({ token: 123_456_789_012_345 });
      });
    });

    describe('event stream', () => {
      it('appends a batch in order with a sequence per session, and never appends a txn twice', async () => {
        const store = target.store('sm-1');
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
        expect(increasing([...first, again[1]!])).toBe(true);
        // The same txn twice in one batch: appended once.
        const twice = await store.emit([event('t5', 's2'), event('t5', 's2')], 2);
        expect(twice[1]).toBe(twice[0]);
        expect(await store.emit([], 2)).toEqual([]);
        await expect(readEvents(target.evidence, (ms) => ms)).resolves.toMatchObject([
          { kind: 'event', entryId: first[0], sessionId: 's1', txnId: 't1', outcome: 'committed', seq: 1, token: 1 },
          { txnId: 't2' },
          { txnId: 't3' },
          { txnId: 't4', seq: 3, token: 2 },
          { txnId: 't5', sessionId: 's2', seq: 2 },
        ]);
      });

      it('refuses a whole batch under a stale token, and appends none of it', async () => {
        const store = target.store('sm-1');
        await store.emit([event('t1', 's1')], 2);
        await expect(store.emit([event('t2', 's1'), event('t3', 's2')], 1)).rejects.toMatchObject({
          code: 'stale_token',
          message: 'stream refused token 1: it has seen 2',
        });
        expect((await entries()).map((e) => e.txnId)).toEqual(['t1']);
      });

      it('shares its fence with the DSM; an empty batch goes nowhere and raises nothing', async () => {
        const store = target.store('sm-1');
        expect(await store.emit([], 9)).toEqual([]);
        await store.cas(0, 3, record('s1'));
        await expect(store.emit([event('t1', 's1')], 2)).rejects.toMatchObject({ code: 'stale_token' });
        await store.emit([event('t1', 's1')], 4);
        await expect(store.cas(1, 3, record('s1'))).rejects.toMatchObject({ details: { highest: 4 } });
      });

      it('numbers all sessions in one sequence only with the planted bug unordered-events', async () => {
        const store = target.store('sm-1', { ...defaults, sequencePerSession: false });
        await store.emit([event('t1', 's1'), event('t2', 's2', 'abort'), event('t3', 's1')], 1);
        expect((await entries()).map((e) => [e.txnId, e.seq])).toEqual([
          ['t1', 1],
          ['t2', 2],
          ['t3', 3],
        ]);
      });

      it('trims approximately: whole nodes of 100 entries from the head, keeping at least the bound', async () => {
        const store = target.store('sm-1', { ...defaults, streamMaxLen: 150 });
        for (let b = 0; b < 5; b++) {
          await store.emit(
            Array.from({ length: 50 }, (_, i) => event(`t${b * 50 + i}`, `s${i % 3}`)),
            1,
          );
          // Up to 249 entries no node can go: 100 fewer would be fewer than 150.
          expect((await entries()).length).toBe(b < 4 ? (b + 1) * 50 : 150);
        }
        // At 250 the first node goes, leaving exactly the bound.
        const kept = await entries();
        expect(kept[0]!.txnId).toBe('t100');
        expect(increasing(kept.map((e) => e.id))).toBe(true);
      });

      it('trims approximately: at most 10000 entries (100 nodes) in one append', async () => {
        const store = target.store('sm-1');
        for (let b = 0; b < 5; b++) {
          await store.emit(
            Array.from({ length: 2050 }, (_, i) => event(`t${b * 2050 + i}`, `s${i % 3}`)),
            1,
          );
        }
        // Bound to 1 at 10251 entries: 100 of the 103 nodes go, and the rest stays for later appends.
        const bounded = target.store('sm-1', { ...defaults, streamMaxLen: 1 });
        await bounded.emit([event('t-last', 's0')], 1);
        const kept = await entries();
        expect(kept.length).toBe(251);
        expect(kept[0]!.txnId).toBe('t10000');
        await bounded.emit([event('t-next', 's0')], 1);
        // Then the two older nodes go, and the one being appended to stays.
        const later = await entries();
        expect(later.length).toBe(52);
        expect([later[0]!.txnId, ...later.slice(-2).map((e) => e.txnId)]).toEqual(['t10200', 't-last', 't-next']);
      });

      it('trims approximately: a node also ends at 4096 bytes, so long entries make small nodes', async () => {
        const store = target.store('sm-1', { ...defaults, streamMaxLen: 30 });
        const pad = (i: number) => String(i).padStart(3, '0');
        for (let b = 0; b < 3; b++) {
          await store.emit(
            Array.from({ length: 20 }, (_, i) => event(`${'x'.repeat(150)}${pad(b * 20 + i)}`, `s${pad(b * 20 + i)}`)),
            1,
          );
        }
        // 21 such entries fill a node: at 51 the first node goes (leaving 30), then 9 more.
        const kept = await entries();
        expect(kept.length).toBe(39);
        expect(kept[0]!.txnId).toBe(`${'x'.repeat(150)}021`);
      });

      it('trims approximately: a node takes an entry while its bytes and the lengths of the entry stay under 4096', async () => {
        // One entry's node is 2070 bytes (listpack header, master entry, the entry); the next entry's fields and
        // values are 2025 bytes long with a two-digit timestamp (2024 with one): 4095 fits, 4096 starts a new node.
        const batch = (len: number, decidedAtMs: number) =>
          [1, 2, 3, 4, 5, 6].map((i) => event(`${'x'.repeat(len)}${i}`, `s${i}`, 'commit', decidedAtMs));
        const store = target.store('sm-1', { ...defaults, streamMaxLen: 1 });
        await store.emit(batch(1974, 10), 1);
        expect((await entries()).map((e) => e.txnId?.slice(-1))).toEqual(['5', '6']);
        await target.reset();
        await target.store('sm-1', { ...defaults, streamMaxLen: 1 }).emit(batch(1975, 7), 1);
        expect((await entries()).map((e) => e.txnId?.slice(-1))).toEqual(['6']);
      });
    });

    describe('restart', () => {
      it('keeps the lease, the epoch, the fence, the DSM with its audit, and the stream with its dedup and ids', async () => {
        const store = target.store('sm-1');
        await store.acquire('sm-1', 60_000);
        await store.cas(0, 3, record('s1'));
        const [first] = await store.emit([event('t1', 's1')], 3);
        await target.restart();
        const after = target.store('sm-2');
        expect(await after.acquire('sm-2', 60_000)).toMatchObject({ epoch: 0, holder: 'sm-1|1' });
        expect(await after.read('s1')).toEqual({ version: 1, token: 3, record: record('s1') });
        await expect(after.cas(1, 2, record('s1'))).rejects.toMatchObject({ details: { highest: 3 } });
        expect(await after.emit([event('t1', 's1'), event('t2', 's1')], 3)).toEqual([first, expect.any(String)]);
        expect((await entries()).map((e) => [e.txnId, e.seq])).toEqual([
          ['t1', 1],
          ['t2', 2],
        ]);
        expect(increasing((await entries()).map((e) => e.id))).toBe(true);
        expect((await audit()).map((a) => a.outcome)).toEqual(['ok', 'stale-token']);
        expect(await after.release('sm-1|1')).toBe(true);
        expect(await after.acquire('sm-2', 60_000)).toEqual({ epoch: 2, holder: 'sm-2|2' });
      });
    });
  });

// Which entries approximate trimming removes depends on how Redis packs entries into nodes, byte by byte. The
// shared cases above pin a few boundaries; this one compares the model's packing with Redis's over random entries:
// the same ids (given, not `*`), fields and bounds, and after every append the same entries left.
describe('stream packing, the model against redis entry by entry', () => {
  const real = realRedis();
  beforeAll(() => real.open());
  afterAll(() => real.close());

  // Values at the edges of listpack's encodings: 7-bit, 13-, 16-, 24-, 32- and 64-bit integers, strings of 63/64
  // bytes (one- or two-byte header), 125/126 (an element of 127/128 bytes: one- or two-byte back-length), and
  // 20/21 characters of digits (the longest an integer may be written in).
  const edges = [
    '0',
    '127',
    '128',
    '-1',
    '-4096',
    '-4097',
    '4095',
    '4096',
    '32767',
    '32768',
    '-32769',
    '8388607',
    '8388608',
    '2147483647',
    '2147483648',
    '-2147483649',
    '-2147483648',
    '-8388608',
    '-8388609',
    '-32768',
    '9223372036854775807',
    '-9223372036854775808',
    '9223372036854775808',
    '01',
    '-0',
    '+1',
    '1.5',
  ];
  const value = (rng: Rng): string =>
    rng.chance(0.5) ? rng.pick(edges) : 'v'.repeat(rng.pick([0, 1, 62, 63, 64, 124, 125, 126, 127, 200, 1000]));

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])('seed %i', async (seed) => {
    const rng = new Rng(seed);
    const redis = real.client();
    await redis.del('packing');
    const stream = new XStream();
    const maxLen = rng.pick([1, 3, 10, 50]);
    const names = rng.chance(0.5) ? ['a', 'b'] : ['sessionId', 'txnId', 'outcome'];
    let ms = simEpochMs;
    const replies: Array<Promise<unknown>> = [];
    const expected: Array<Array<[string, string[]]>> = [];
    for (let i = 0; i < 1500; i++) {
      ms += rng.pick([0, 0, 1, 127, 128, rng.int(0, 5000), rng.int(0, 10_000_000)]);
      const id = stream.nextId(ms);
      // Mostly the node's own field names (compressed against its master entry), now and then others.
      const fields = (rng.chance(0.9) ? names : ['c', 'd', 'e']).flatMap((n) => [n, value(rng)]);
      stream.append(id, fields);
      stream.trimApprox(maxLen);
      // One connection keeps the order: every command goes out now (auto-pipelined), the replies are read after.
      replies.push(redis.xadd('packing', 'MAXLEN', '~', maxLen, `${id.ms}-${id.seq}`, ...fields));
      if (i % 50 === 49) {
        replies.push(redis.xrange('packing', '-', '+'));
        expected.push(stream.range('-', '+'));
      }
    }
    const ranges = (await Promise.all(replies)).filter(Array.isArray);
    expect(ranges).toEqual(expected);
  });
});

// What only virtual time can show: exact instants, and a clock that goes back.
describe('model only', () => {
  const open = () => {
    const kernel = new Kernel(5);
    const clock: Clock = kernel.clock('redis');
    const redis = new RedisModel(clock);
    return { kernel, clock, redis, store: redis.store('sm-1') };
  };

  it('a lease lives through its last millisecond and is gone the next one', async () => {
    const { kernel, redis, store } = open();
    await store.acquire('sm-1', 1000);
    await kernel.run({ untilMs: 1000 });
    expect(redis.exists(keys.lease)).toBe(true);
    expect(await store.renew('sm-1|1', 500)).toBe(true);
    await kernel.run({ untilMs: 1500 });
    expect(redis.exists(keys.lease)).toBe(true);
    await kernel.run({ untilMs: 1501 });
    expect(redis.exists(keys.lease)).toBe(false);
  });

  it('dates the audit and the stream by the server clock, and keeps ids increasing when it goes back', async () => {
    const { kernel, clock, redis, store } = open();
    await kernel.run({ untilMs: 2000 });
    await store.cas(0, 1, record('s1'));
    const [line] = await redis.evidence.lrange(keys.dsmAudit, 0, -1);
    expect(JSON.parse(line!).atUs).toBe(String((simEpochMs + 2000) * 1000));
    const [a] = await store.emit([event('t1', 's1')], 1);
    expect(a).toBe(`${simEpochMs + 2000}-0`);
    clock.setOffsetMs(-5000);
    const [b, c] = await store.emit([event('t2', 's1'), event('t3', 's1')], 1);
    expect([b, c]).toEqual([`${simEpochMs + 2000}-1`, `${simEpochMs + 2000}-2`]);
    clock.setOffsetMs(0);
    await kernel.run({ untilMs: 2001 });
    expect(await store.emit([event('t4', 's1')], 1)).toEqual([`${simEpochMs + 2001}-0`]);
  });
});
