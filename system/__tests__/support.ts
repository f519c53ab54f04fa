// Test support for whole-system tests: private Redis/Postgres, the cluster's processes, and clients that can
// read every store directly, so a test can check state everywhere, not just what the gateway says.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { type Cluster, type ClusterOptions, startCluster, waitForLeader } from '../../harness/cluster/cluster.ts';
import { startLocal } from '../../harness/env/local.ts';
import { type Environment, postgresUrl } from '../../harness/env/types.ts';
import { systemClock } from '../common/clock.ts';
import { Peer } from '../common/peer.ts';
import { parseKeyRing } from '../common/signing.ts';

export interface SystemFixture {
  dir: string;
  env: Environment;
  cluster: Cluster;
  redis: Redis;
  db: Record<'coordinator' | 'rm' | 'billing', postgres.Sql>;
  /** A signed client for a node (as the gateway or the leader would sign). */
  peer(node: string): Peer;
  leader(): Promise<string>;
  createSession(
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  observations(node: string, obs: string): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startSystem(opts: Partial<ClusterOptions> = {}): Promise<SystemFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'rig-system-'));
  const env = await startLocal({ dir: join(dir, 'servers') });
  let cluster: Cluster;
  try {
    cluster = await startCluster({ env, dir, nodes: 3, seed: 1, ...opts });
  } catch (err) {
    await env.stop();
    throw err;
  }
  const ring = parseKeyRing(cluster.hmacKeys);
  const clock = systemClock();
  const peers = new Map<string, Peer>();
  const connect = (db: string) => postgres(postgresUrl(env.postgres, db), { max: 2, onnotice: () => {} });
  const f: SystemFixture = {
    dir,
    env,
    cluster,
    redis: new Redis({ host: env.redis.host, port: env.redis.port }),
    db: {
      coordinator: connect(cluster.databases.coordinator),
      rm: connect(cluster.databases.rm),
      billing: connect(cluster.databases.billing),
    },
    peer(node) {
      let p = peers.get(node);
      if (!p) {
        p = new Peer(node, cluster.services.get(node)!.url, ring, clock);
        peers.set(node, p);
      }
      return p;
    },
    async leader() {
      const until = Date.now() + 30_000;
      while (Date.now() < until) {
        for (const node of cluster.nodes) {
          const r = await f
            .peer(node)
            .call<{ role?: string; ready?: boolean }>('GET', '/healthz', undefined, { timeoutMs: 1000 })
            .catch(() => undefined);
          if (r?.body?.role === 'leader' && r.body.ready) return node;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('no ready leader within 30 s');
    },
    async createSession(body, headers = {}) {
      const r = await fetch(`${cluster.gatewayUrl}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    },
    observations(node, obs) {
      let text = '';
      try {
        text = readFileSync(join(dir, 'logs', `${node}.log`), 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter((l) => l.includes(`"obs":"${obs}"`))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async stop() {
      for (const p of peers.values()) p.close();
      f.redis.disconnect();
      await Promise.all(Object.values(f.db).map((s) => s.end({ timeout: 2 })));
      await cluster.stop();
      await env.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitForLeader(cluster.gatewayUrl, 30_000);
  return f;
}

/** Waits until `check` returns a value other than undefined; rejects with `what` after the deadline. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  deadlineMs = 20_000,
): Promise<T> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${deadlineMs} ms: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

export const subscriber = (i: number) => `imsi-00101${String(i).padStart(10, '0')}`;
