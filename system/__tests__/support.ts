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
    // The error carries the failing service's last log lines; nothing of the attempt is left behind.
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
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

const callTimeoutMs = 10_000;

/** Replaces a node's fault settings through its signed /admin/faults; the reply must be 200. */
export async function setFaults(sys: SystemFixture, node: string, settings: unknown): Promise<void> {
  const r = await sys.peer(node).call('PUT', '/admin/faults', settings, { timeoutMs: callTimeoutMs });
  if (r.status !== 200) throw new Error(`PUT /admin/faults on ${node}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** A ready leader other than `old` (after `old` crashed, was killed or paused). */
export function leaderOtherThan(sys: SystemFixture, old: string, deadlineMs = 30_000): Promise<string> {
  return eventually(
    async () => {
      const l = await sys.leader();
      return l !== old ? l : undefined;
    },
    `a leader other than ${old}`,
    deadlineMs,
  );
}

export interface TxnEverywhere {
  decision: string | null;
  reason: string | null;
  closed: boolean;
  dsm: string | undefined;
  rm: string;
  billing: string;
}

/** One transaction's state in the log, the DSM and both participants. */
export async function txnEverywhere(sys: SystemFixture, txnId: string): Promise<TxnEverywhere> {
  const [row] = await sys.db.coordinator`
    SELECT session_id, decision, reason, closed_at IS NOT NULL AS closed FROM txn WHERE txn_id = ${txnId}`;
  if (!row) throw new Error(`no log row for ${txnId}`);
  const dsm = await sys.redis.hget(`dsm:session:${row.session_id}`, 'record');
  const state = async (p: string) =>
    (await sys.peer(p).call<{ state: string }>('GET', `/v1/txn/${txnId}`, undefined, { timeoutMs: callTimeoutMs })).body
      .state;
  return {
    decision: row.decision,
    reason: row.reason,
    closed: row.closed,
    dsm: dsm ? (JSON.parse(dsm) as { status: string }).status : undefined,
    rm: await state('rm'),
    billing: await state('billing'),
  };
}

/**
 * Waits until the transaction is closed, then returns its one outcome: the log's decision, with the DSM and both
 * participants agreeing (after an abort, a participant that never saw the prepare may hold a tombstone or nothing).
 */
export async function settledOutcome(sys: SystemFixture, txnId: string): Promise<'commit' | 'abort'> {
  const t = await eventually(async () => {
    const t = await txnEverywhere(sys, txnId);
    return t.closed ? t : undefined;
  }, `${txnId} closed`);
  const agree =
    t.decision === 'commit'
      ? t.dsm === 'COMMITTED' && t.rm === 'committed' && t.billing === 'committed'
      : t.decision === 'abort' &&
        t.dsm === 'ABORTED' &&
        [t.rm, t.billing].every((s) => s === 'aborted' || s === 'unknown');
  if (!agree) throw new Error(`${txnId} has no single outcome: ${JSON.stringify(t)}`);
  return t.decision as 'commit' | 'abort';
}

/** Transactions still prepared at a participant's database. */
export async function preparedAt(sys: SystemFixture, db: 'rm' | 'billing'): Promise<string[]> {
  const rows = await sys.db[db]`SELECT gid FROM pg_prepared_xacts WHERE database = current_database()`;
  return rows.map((r) => String(r.gid));
}
