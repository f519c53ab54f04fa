// The harness's own view of the system, straight to the stores and the services (never through the fault proxies):
// who leads, whether every transaction has finished, and signed fault settings.
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { systemClock } from '../../system/common/clock.ts';
import { Peer } from '../../system/common/peer.ts';
import { parseKeyRing } from '../../system/common/signing.ts';
import type { Queryable } from '../../system/common/statements.ts';
import { countPrepared } from '../../system/participant/evidence.ts';
import { readUnfinished } from '../../system/session-manager/evidence.ts';
import type { Cluster } from '../cluster/cluster.ts';
import { type Environment, postgresUrl } from '../env/types.ts';

export interface Probes {
  redis: Redis;
  db: Record<'coordinator' | 'rm' | 'billing', postgres.Sql>;
  leader(): Promise<string | undefined>;
  setFaults(node: string, settings: Record<string, unknown>): Promise<void>;
  /** Waits until nothing is unfinished (see unfinishedWork); else says, at the deadline, what still was (not when aborted). */
  waitForQuiet(deadlineMs: number, signal: AbortSignal): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface Unfinished {
  open: number;
  unsent: number;
  prepared: number;
}

/**
 * What is still in flight: transactions open in the log, decided ones whose event the relay has not appended yet
 * (the relay is asynchronous: the last transaction's event goes out after its close, and a decision logged by a
 * leader fenced before its relay ran goes out on the next leader's pass), and transactions prepared at a participant.
 */
export async function unfinishedWork(db: Record<'coordinator' | 'rm' | 'billing', Queryable>): Promise<Unfinished> {
  const [log, rm, billing] = await Promise.all([
    readUnfinished(db.coordinator),
    countPrepared(db.rm),
    countPrepared(db.billing),
  ]);
  return { ...log, prepared: rm + billing };
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
      let left = 'the stores never answered';
      while (Date.now() < until && !signal.aborted) {
        try {
          const u = await unfinishedWork(db);
          if (u.open + u.unsent + u.prepared === 0) return undefined;
          left =
            `${u.open} transactions open in the log, ${u.unsent} events not yet in the stream and ` +
            `${u.prepared} transactions prepared at a participant`;
        } catch (err) {
          // a store restarting: ask again
          left = `the stores did not answer: ${(err as Error).message}`;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      return signal.aborted ? undefined : left;
    },
    async close() {
      for (const p of peers.values()) p.close();
      redis.disconnect();
      await Promise.all(Object.values(db).map((s) => s.end({ timeout: 2 })));
    },
  };
}
