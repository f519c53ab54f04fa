// Idempotency keys at the session manager, one test body against two targets: a session manager built as its
// process builds it (buildSessionManager) over the real stores (PostgresTxLog on a private PostgreSQL, RedisStore on
// a private Redis, on the real clock), and over the simulator's models of them (harness/sim/models/, on a kernel's
// virtual clock). Only the participants are stand-ins that vote yes. The routes' handlers are called as the
// dispatcher calls them, with the headers the gateway forwards.
// What it proves (duplicates.ts): a request repeated under its key, spelled the same or another way that runs the
// same transaction, gets the first one's answer unchanged; a different request under a key already logged (another
// subscriber field, another kind, another session, another If-Match) is refused with 422 idempotency_key_reused,
// naming each field that differs, and changes nothing: no intent logged, nothing prepared, the DSM record as it
// was. On the model the first request's If-Match also has to survive the model's jsonb, as it does PostgreSQL's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEnvironmentHandle, startLocal } from '../../../harness/env/local.ts';
import { postgresUrl, redisUrl } from '../../../harness/env/types.ts';
import { Kernel } from '../../../harness/sim/kernel.ts';
import { RedisModel } from '../../../harness/sim/models/redis.ts';
import { TxLogModel } from '../../../harness/sim/models/txlog.ts';
import { type Clock, systemClock } from '../../common/clock.ts';
import type { RequestContext } from '../../common/dispatch.ts';
import { Faults } from '../../common/faults.ts';
import { createLogger } from '../../common/log.ts';
import { connectPostgres, type Sql } from '../../common/pg.ts';
import { seededRandom } from '../../common/random.ts';
import { connectRedis } from '../../common/redis.ts';
import type { ServiceParts } from '../../common/service.ts';
import type { Queryable } from '../../common/statements.ts';
import { buildSessionManager } from '../build.ts';
import type { SessionManagerConfig } from '../config.ts';
import { readTxnLog } from '../evidence.ts';
import type { LeaseStore } from '../leader.ts';
import type { ParticipantClient, WaitSource } from '../participants.ts';
import { type Dsm, type EventStream, RedisStore } from '../store.ts';
import { PostgresTxLog, type TxLog } from '../txlog.ts';

const config: SessionManagerConfig = {
  leaseTtlMs: 3000,
  prepareTimeoutMs: 1000,
  phase2TimeoutMs: 1000,
  duplicateWaitMs: 5000,
  relayIntervalMs: 200,
  relayLingerMs: 0,
  recoveryIntervalMs: 1000,
  abandonAfterMs: 10_000,
  scheduler: { workers: 2, queueMax: 8, agingMs: 1000, promotedTurnEvery: 4, queueWaitMaxMs: 5000 },
  detector: { mode: 'off', intervalMs: 100 },
  cells: 10,
  bugs: { staleLeader: false, noDecisionLog: false, earlyCommit: false, emitBeforeCommit: false },
};

/** The stores one session manager runs on, and how a test waits on that target's time. */
interface Stores {
  txlog: TxLog;
  store: LeaseStore & Dsm & EventStream;
  /** What readTxnLog queries. */
  evidence: Queryable;
  clock: Clock;
  /** Resolves with `work` once it has settled, letting the target's time pass meanwhile (at most 30 s of it). */
  settle<T>(work: Promise<T>): Promise<T>;
  close(): Promise<void>;
}

interface Target {
  name: 'real' | 'model';
  open(): Promise<Stores>;
}

/** PostgreSQL and Redis started before the file's tests and stopped after; each open a fresh database and prefix. */
function realTarget(): Target {
  let dir: string;
  let env: LocalEnvironmentHandle;
  let opened = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rig-idempotency-'));
    env = await startLocal({ dir });
  });
  afterAll(async () => {
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    name: 'real',
    async open() {
      const n = ++opened;
      const sql: Sql = connectPostgres(postgresUrl(env.postgres, await env.createDatabase(`idempotency_${n}`)), 4);
      const redis: Redis = connectRedis({ url: redisUrl(env.redis), keyPrefix: `idem${n}:`, commandTimeoutMs: 5000 });
      return {
        txlog: await PostgresTxLog.open(sql, 20_000),
        store: new RedisStore(redis, 'sm-1'),
        evidence: sql,
        clock: systemClock(),
        settle: (work) => work,
        async close() {
          redis.disconnect();
          await sql.end({ timeout: 5 });
        },
      };
    },
  };
}

function modelTarget(): Target {
  let seed = 0;
  return {
    name: 'model',
    async open() {
      const kernel = new Kernel(++seed);
      const txlog = new TxLogModel(kernel.clock('postgres'), { fencing: true });
      return {
        txlog,
        store: new RedisModel(kernel.clock('redis')).store('sm-1'),
        evidence: txlog.evidence,
        clock: kernel.clock('sm-1'),
        async settle(work) {
          let settled = false;
          const done = () => {
            settled = true;
          };
          work.then(done, done);
          await kernel.run({ until: () => settled, untilMs: kernel.nowMs() + 30_000 });
          if (!settled) throw new Error('not settled within 30 s of virtual time');
          return work;
        },
        close: async () => {},
      };
    },
  };
}

/** Participants that vote yes and acknowledge everything; `calls` lists what each was asked. */
function yesParticipants(calls: string[]): Array<ParticipantClient & WaitSource> {
  return ['resource-manager', 'billing'].map((name) => ({
    name,
    async prepare(txnId: string) {
      calls.push(`${name} prepare ${txnId}`);
      return { vote: 'yes' as const };
    },
    async send(phase: string, txnId: string) {
      calls.push(`${name} ${phase} ${txnId}`);
      return { ok: true };
    },
    state: async () => 'committed' as const,
    waits: async () => [],
    cancel: async () => false,
  }));
}

/** A session manager over `stores`, leading and ready; `call` runs one of its routes' handlers. */
async function leader(stores: Stores) {
  const participantCalls: string[] = [];
  const participants = yesParticipants(participantCalls);
  const { clock } = stores;
  const parts: ServiceParts = buildSessionManager({
    config,
    node: 'sm-1',
    lease: stores.store,
    dsm: stores.store,
    stream: stores.store,
    txlog: stores.txlog,
    participants,
    waitSources: participants,
    clock,
    random: seededRandom(11),
    logger: createLogger(
      'session-manager',
      'sm-1',
      () => clock.wallMs(),
      'error',
      () => {},
    ),
    registry: new Registry(),
    faults: new Faults(1, clock, (point) => {
      throw new Error(`crash point ${point} armed`);
    }),
  });
  const ready = () => (parts.health?.() as { ready?: boolean } | undefined)?.ready === true;
  await stores.settle(
    (async () => {
      const deadline = clock.monotonicMs() + 30_000;
      while (!ready()) {
        if (clock.monotonicMs() > deadline) throw new Error('sm-1 did not lead within 30 s');
        await clock.sleep(10);
      }
    })(),
  );
  const call = (method: 'POST' | 'PATCH' | 'DELETE', path: string, key: string, body?: unknown, ifMatch?: string) => {
    const pattern = method === 'POST' ? '/v1/sessions' : '/v1/sessions/:sessionId';
    const route = parts.routes.find((r) => r.method === method && r.pattern === pattern)!;
    const sessionId = path.split('/')[3];
    const ctx: RequestContext = {
      method,
      path,
      params: sessionId ? { sessionId } : {},
      query: new URLSearchParams(),
      headers: { 'idempotency-key': key, ...(ifMatch ? { 'if-match': ifMatch } : {}) },
      body,
    };
    return stores.settle(Promise.resolve().then(() => route.handler(ctx)));
  };
  /** What nothing may change: the log's transactions, the prepares the participants saw, a session's DSM record. */
  const state = async (sessionId: string) => ({
    txns: (await stores.settle(readTxnLog(stores.evidence, new Map(), (ms) => ms))).txns.map((t) => t.txnId),
    // Prepares only: a phase-2 message may be sent again to a transaction already decided (the finisher).
    prepares: participantCalls.filter((c) => c.includes(' prepare ')),
    dsm: await stores.settle(stores.store.read(sessionId)),
  });
  return { parts, call, state };
}

/** The fields of an answer that say what happened (timings are the answer's own). */
function outcomeOf(reply: { status: number; body?: unknown }) {
  const { sessionId, txnId, outcome, kind, protocol, revision } = reply.body as Record<string, unknown>;
  return { status: reply.status, sessionId, txnId, outcome, kind, protocol, revision };
}

const create = {
  subscriberId: 'imsi-001010000000001',
  trafficClass: 'voice',
  protocol: '2pc',
  cells: ['cell-3', 'cell-4'],
};

for (const target of [realTarget(), modelTarget()]) {
  describe(`idempotency keys at the session manager [${target.name}]`, () => {
    it('answers a create retried under its key as the first time, and refuses another create under it with 422', async () => {
      const stores = await target.open();
      const sm = await leader(stores);
      try {
        const first = await sm.call('POST', '/v1/sessions', 'client:k1', create);
        expect(first.status).toBe(201);
        const sessionId = String((first.body as { sessionId: string }).sessionId);
        const before = await sm.state(sessionId);
        expect(before.txns).toHaveLength(1);
        expect(before.prepares).toHaveLength(2);

        const again = await sm.call('POST', '/v1/sessions', 'client:k1', { ...create });
        expect(outcomeOf(again)).toEqual(outcomeOf(first));

        const other = { ...create, trafficClass: 'video', cells: ['cell-4', 'cell-3'] };
        const refused = await sm.call('POST', '/v1/sessions', 'client:k1', other).catch((e: unknown) => e);
        expect(refused).toMatchObject({
          code: 'idempotency_key_reused',
          status: 422,
          definite: true,
          details: {
            differs: [
              { field: 'trafficClass', first: 'voice', now: 'video' },
              { field: 'cells', first: ['cell-3', 'cell-4'], now: ['cell-4', 'cell-3'] },
            ],
          },
        });
        expect((refused as Error).message).toMatch(
          /trafficClass voice then, video now; cells \[cell-3, cell-4\] then, \[cell-4, cell-3\] now.*new Idempotency-Key/,
        );
        expect(await sm.state(sessionId)).toEqual(before);
      } finally {
        await sm.parts.close();
        await stores.close();
      }
    });

    it('answers a change retried under its key as the first time, however spelled, and refuses another with 422', async () => {
      const stores = await target.open();
      const sm = await leader(stores);
      try {
        const made = await sm.call('POST', '/v1/sessions', 'client:c1', create);
        const sessionId = String((made.body as { sessionId: string }).sessionId);
        const path = `/v1/sessions/${sessionId}`;
        const first = await sm.call('PATCH', path, 'client:m1', { trafficClass: 'video' });
        expect(outcomeOf(first)).toMatchObject({ status: 200, kind: 'modify', revision: 2 });
        const before = await sm.state(sessionId);
        expect([before.txns.length, before.prepares.length, before.dsm?.record.revision]).toEqual([2, 4, 2]);

        // The same transaction: the same body, and one restating the cells the session had when it was first sent.
        expect(outcomeOf(await sm.call('PATCH', path, 'client:m1', { trafficClass: 'video' }))).toEqual(
          outcomeOf(first),
        );
        const restated = { trafficClass: 'video', cells: create.cells };
        expect(outcomeOf(await sm.call('PATCH', path, 'client:m1', restated))).toEqual(outcomeOf(first));

        const refusals: Array<[string, () => Promise<unknown>, unknown[]]> = [
          [
            'another class',
            () => sm.call('PATCH', path, 'client:m1', { trafficClass: 'data' }),
            [{ field: 'trafficClass', first: 'video', now: 'data' }],
          ],
          [
            'an If-Match the first did not have',
            () => sm.call('PATCH', path, 'client:m1', { trafficClass: 'video' }, '"1"'),
            [{ field: 'If-Match', first: null, now: 1 }],
          ],
          [
            'a release',
            () => sm.call('DELETE', path, 'client:m1'),
            [{ field: 'kind', first: 'modify', now: 'release' }],
          ],
          [
            'a create',
            () => sm.call('POST', '/v1/sessions', 'client:m1', create),
            [{ field: 'kind', first: 'modify', now: 'create' }],
          ],
          [
            "the create's key on a modify",
            () => sm.call('PATCH', path, 'client:c1', { trafficClass: 'video' }),
            [{ field: 'kind', first: 'create', now: 'modify' }],
          ],
        ];
        for (const [what, send, differs] of refusals) {
          const refused = await send().catch((e: unknown) => e);
          expect(refused, what).toMatchObject({ code: 'idempotency_key_reused', status: 422, details: { differs } });
        }
        expect(await sm.state(sessionId)).toEqual(before);

        // A release at revision 2 under its own key; the same again is its retry, `*` (any revision) is not.
        const released = await sm.call('DELETE', path, 'client:r1', undefined, '"2"');
        expect(outcomeOf(released)).toMatchObject({ status: 200, kind: 'release', revision: 3 });
        expect(outcomeOf(await sm.call('DELETE', path, 'client:r1', undefined, '"2"'))).toEqual(outcomeOf(released));
        const afterRelease = await sm.state(sessionId);
        const star = await sm.call('DELETE', path, 'client:r1', undefined, '*').catch((e: unknown) => e);
        expect(star).toMatchObject({
          code: 'idempotency_key_reused',
          details: { differs: [{ field: 'If-Match', first: 2, now: null }] },
        });
        expect((star as Error).message).toMatch(/If-Match "2" then, none now/);
        expect(await sm.state(sessionId)).toEqual(afterRelease);
      } finally {
        await sm.parts.close();
        await stores.close();
      }
    });
  });
}
