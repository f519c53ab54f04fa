// The session manager process: one of several; the one holding the Redis lease coordinates transactions. This file
// only wires the real adapters (Redis, PostgreSQL, HTTP peers to the participants) into the assembly (build.ts).
import type { Redis } from 'ioredis';
import type { Clock } from '../common/clock.ts';
import { Peer } from '../common/peer.ts';
import { connectPostgres, type Sql } from '../common/pg.ts';
import { connectRedis } from '../common/redis.ts';
import { runService } from '../common/service.ts';
import { buildSessionManager } from './build.ts';
import { type AdapterConfig, readSessionManagerConfig } from './config.ts';
import { HttpParticipant } from './participants.ts';
import { RedisStore } from './store.ts';
import { PostgresTxLog } from './txlog.ts';

await runService('session-manager', async (rt) => {
  const { config, adapters } = readSessionManagerConfig(rt.env);
  const stores = await openStores(adapters, rt.node, rt.clock);
  const peers = [...adapters.participants].map(
    ([name, url]) => new Peer(name, url, rt.ring, rt.clock, { transport: adapters.transport, random: rt.random }),
  );
  const participants = peers.map((peer) => new HttpParticipant(peer.name, peer));
  const parts = buildSessionManager({
    config,
    node: rt.node,
    lease: stores.store,
    dsm: stores.store,
    stream: stores.store,
    txlog: stores.txlog,
    participants,
    waitSources: participants,
    clock: rt.clock,
    random: rt.random,
    logger: rt.logger,
    registry: rt.metrics.registry,
    faults: rt.faults,
  });
  return {
    ...parts,
    async close() {
      await parts.close();
      for (const peer of peers) peer.close();
      stores.redis.disconnect();
      await stores.sql.end({ timeout: 2 });
    },
  };
});

interface Stores {
  redis: Redis;
  sql: Sql;
  txlog: PostgresTxLog;
  store: RedisStore;
}

async function openStores(adapters: AdapterConfig, node: string, clock: Clock): Promise<Stores> {
  const { queryTimeoutMs } = adapters;
  const redis = connectRedis({
    url: adapters.redisUrl,
    keyPrefix: adapters.redisPrefix,
    commandTimeoutMs: queryTimeoutMs,
  });
  redis.on('error', () => {}); // reconnects on its own; failures surface on each command
  // A transaction holding the fence row (a decision) whose leader is cut off mid-way must not block the next
  // leader's fence raise until the partition heals: the server ends it well within the raise's own deadline.
  const sql = connectPostgres(adapters.databaseUrl, adapters.poolMax, Math.ceil(queryTimeoutMs / 2));
  const txlog = await PostgresTxLog.open(sql, queryTimeoutMs, adapters.fencing, adapters.logBatching, clock);
  const store = new RedisStore(redis, node, adapters.store);
  return { redis, sql, txlog, store };
}
