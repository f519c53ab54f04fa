// The harness's own view of the system, straight to the stores and the services (never through the fault proxies):
// who leads, whether every transaction has finished, and signed fault settings.
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { systemClock } from '../../system/common/clock.ts';
import { Peer } from '../../system/common/peer.ts';
import { parseKeyRing } from '../../system/common/signing.ts';
import type { Cluster } from '../cluster/cluster.ts';
import { type Environment, postgresUrl } from '../env/types.ts';

export interface Probes {
  redis: Redis;
  db: Record<'coordinator' | 'rm' | 'billing', postgres.Sql>;
  leader(): Promise<string | undefined>;
  setFaults(node: string, settings: Record<string, unknown>): Promise<void>;
  /** Waits until no transaction is open in the log and nothing is prepared anywhere, or the deadline passes. */
  waitForQuiet(deadlineMs: number, signal: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}

export function openProbes(env: Environment, cluster: Cluster): Probes {
  const connect = (db: string) =>
    postgres(postgresUrl(env.postgres, db), { max: 2, onnotice: () => {}, connect_timeout: 5 });
  const ring = parseKeyRing(cluster.hmacKeys);
  const clock = systemClock();
  const peers = new Map<string, Peer>();
  const peer = (node: string) => {
    const url = cluster.services.get(node)?.url;
    if (!url) throw new Error(`no process named ${node}`);
    const p = peers.get(node) ?? new Peer(node, url, ring, clock);
    peers.set(node, p);
    return p;
  };
  const redis = new Redis({
    host: env.redis.host,
    port: env.redis.port,
    db: env.redis.db,
    keyPrefix: env.redis.keyPrefix,
    maxRetriesPerRequest: 2,
  });
  redis.on('error', () => {});
  const db = {
    coordinator: connect(cluster.databases.coordinator),
    rm: connect(cluster.databases.rm),
    billing: connect(cluster.databases.billing),
  };
  return {
    redis,
    db,
    async leader() {
      for (const node of cluster.nodes) {
        const r = await peer(node)
          .call<{ role?: string; ready?: boolean }>('GET', '/healthz', undefined, { timeoutMs: 500 })
          .catch(() => undefined);
        if (r?.body?.role === 'leader' && r.body.ready) return node;
      }
      return undefined;
    },
    async setFaults(node, settings) {
      const r = await peer(node).call('PUT', '/admin/faults', settings, { timeoutMs: 2000 });
      if (r.status !== 200)
        throw new Error(`PUT /admin/faults on ${node} answered ${r.status}: ${JSON.stringify(r.body)}`);
    },
    async waitForQuiet(deadlineMs, signal) {
      const until = Date.now() + deadlineMs;
      while (Date.now() < until && !signal.aborted) {
        try {
          const [open] = await db.coordinator`SELECT count(*)::int AS n FROM txn WHERE closed_at IS NULL`;
          const [prepared] = await db.rm`SELECT count(*)::int AS n FROM pg_prepared_xacts`;
          if (open?.n === 0 && prepared?.n === 0) return true;
        } catch {
          // a store restarting: ask again
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      return false;
    },
    async close() {
      for (const p of peers.values()) p.close();
      redis.disconnect();
      await Promise.all(Object.values(db).map((s) => s.end({ timeout: 2 })));
    },
  };
}
