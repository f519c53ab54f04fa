// The whole system as processes (DESIGN section 1): participants, N session managers, the edge gateway, each its
// own OS process over the environment's Redis and PostgreSQL. Every address a service dials goes through
// `link(from, to, address)`, so the harness can put a fault proxy on each link (identity when there is none).
// Each service keeps its port across restarts, so links and proxies never need rewiring.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Environment } from '../env/types.ts';
import { postgresUrl } from '../env/types.ts';
import { stablePort } from '../net/ports.ts';
import { type RunningService, type ServiceName, type ServiceSpec, startService } from './service-process.ts';

export type Link = (from: string, to: string, address: string) => Promise<string> | string;

export interface ClusterOptions {
  env: Environment;
  /** Logs go to `<dir>/logs/<node>.log`. */
  dir: string;
  nodes: number;
  seed: number;
  gatewayPort?: number;
  link?: Link;
  /** Extra environment for every service, or per node (e.g. shorter lease TTLs in tests). */
  extraEnv?: Record<string, string>;
  nodeEnv?: Record<string, Record<string, string>>;
  startDeadlineMs?: number;
}

export interface Cluster {
  readonly gatewayUrl: string;
  readonly nodes: readonly string[];
  readonly services: ReadonlyMap<string, RunningService>;
  /** HMAC keys the services accept, for tests that sign their own requests. */
  readonly hmacKeys: string;
  readonly databases: { coordinator: string; rm: string; billing: string };
  kill(node: string, signal?: NodeJS.Signals): Promise<void>;
  restart(node: string): Promise<void>;
  /** SIGSTOP; throws when the process has exited. */
  pause(node: string): void;
  /** SIGCONT; throws when the process has exited. */
  resume(node: string): void;
  stop(): Promise<void>;
}

export const smName = (i: number) => `sm-${i}`;

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const hmacKeys = `k1:${randomBytes(24).toString('base64url')}`;
  const [coordinatorDb, rmDb, billingDb] = await Promise.all(
    ['coordinator', 'rm', 'billing'].map((n) => opts.env.createDatabase(n)),
  );
  const databases = { coordinator: coordinatorDb!, rm: rmDb!, billing: billingDb! };
  const smNodes = Array.from({ length: opts.nodes }, (_, i) => smName(i + 1));
  const ports = await allocatePorts(smNodes, opts.gatewayPort);
  const specs = await serviceSpecs(opts, { hmacKeys, databases, smNodes, ports });
  const services = new Map<string, RunningService>();
  const startNode = async (node: string) => {
    services.set(node, await startService(specs.get(node)!));
  };
  const stopAll = async () => {
    // Front to back: no new work enters while the back ends finish what they have.
    for (const group of [['gateway'], smNodes, ['rm', 'billing']]) {
      await Promise.all(group.map((n) => services.get(n)?.proc.stop('SIGTERM', 10_000)));
    }
  };
  try {
    await Promise.all(['rm', 'billing'].map(startNode));
    await Promise.all(smNodes.map(startNode));
    await startNode('gateway');
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    gatewayUrl: `http://127.0.0.1:${ports.get('gateway')}`,
    nodes: smNodes,
    services,
    hmacKeys,
    databases,
    ...processControls(services, startNode),
    stop: stopAll,
  };
}

/** Each service keeps its port across restarts, so it is chosen once, here. */
async function allocatePorts(smNodes: readonly string[], gatewayPort?: number): Promise<Map<string, number>> {
  const ports = new Map<string, number>();
  for (const n of ['rm', 'billing', ...smNodes]) ports.set(n, await stablePort());
  ports.set('gateway', gatewayPort ?? (await stablePort()));
  return ports;
}

interface Wiring {
  hmacKeys: string;
  databases: Cluster['databases'];
  smNodes: readonly string[];
  ports: ReadonlyMap<string, number>;
}

/** What each process is started with; every address in it is dialled through `opts.link`. */
async function serviceSpecs(opts: ClusterOptions, w: Wiring): Promise<Map<string, ServiceSpec>> {
  const dial = dialer(opts, w.ports);
  const logDir = join(opts.dir, 'logs');
  const common = { RIG_HMAC_KEYS: w.hmacKeys, RIG_SEED: String(opts.seed), ...opts.extraEnv };
  const spec = (service: ServiceName, node: string, env: Record<string, string>): ServiceSpec => ({
    service,
    node,
    logDir,
    port: w.ports.get(node)!,
    env: { ...common, ...env, ...opts.nodeEnv?.[node] },
    ...(opts.startDeadlineMs ? { startDeadlineMs: opts.startDeadlineMs } : {}),
  });
  const specs = new Map<string, ServiceSpec>();
  for (const [node, service, db] of [
    ['rm', 'resource-manager', w.databases.rm],
    ['billing', 'billing', w.databases.billing],
  ] as const) {
    const env = { DATABASE_URL: await dial.postgres(node, db), RIG_SESSION_MANAGERS: await dial.urls(node, w.smNodes) };
    specs.set(node, spec(service, node, env));
  }
  for (const node of w.smNodes) {
    const redisUrl = await dial.redis(node);
    specs.set(
      node,
      spec('session-manager', node, {
        DATABASE_URL: await dial.postgres(node, w.databases.coordinator),
        REDIS_URL: redisUrl,
        RIG_REDIS_PREFIX: opts.env.redis.keyPrefix,
        RIG_PARTICIPANTS: await dial.urls(node, ['rm', 'billing']),
      }),
    );
  }
  specs.set(
    'gateway',
    spec('edge-gateway', 'gateway', { RIG_SESSION_MANAGERS: await dial.urls('gateway', w.smNodes) }),
  );
  return specs;
}

/** The address `from` dials for each target, as `link` rewrites it. */
function dialer(opts: ClusterOptions, ports: ReadonlyMap<string, number>) {
  const link: Link = opts.link ?? ((_from, _to, address) => address);
  const pg = opts.env.postgres;
  const { redis } = opts.env;
  const url = async (from: string, to: string) => `http://${await link(from, to, `127.0.0.1:${ports.get(to)}`)}`;
  return {
    postgres: async (from: string, db: string) => {
      const [host, port] = (await link(from, 'postgres', `${pg.host}:${pg.port}`)).split(':');
      return postgresUrl({ ...pg, host: host!, port: Number(port) }, db);
    },
    redis: async (from: string) => {
      const [host, port] = (await link(from, 'redis', `${redis.host}:${redis.port}`)).split(':');
      return `redis://${host}:${port}/${redis.db}`;
    },
    urls: async (from: string, targets: readonly string[]) =>
      (await Promise.all(targets.map(async (t) => `${t}=${await url(from, t)}`))).join(','),
  };
}

/** Signals to one process of the cluster, by node name. */
function processControls(
  services: ReadonlyMap<string, RunningService>,
  startNode: (node: string) => Promise<void>,
): Pick<Cluster, 'kill' | 'restart' | 'pause' | 'resume'> {
  const get = (node: string) => {
    const s = services.get(node);
    if (!s) throw new Error(`no process named ${node}; the cluster has ${[...services.keys()].join(', ')}`);
    return s;
  };
  const signal = (node: string, sig: NodeJS.Signals) => {
    if (!get(node).proc.signal(sig)) throw new Error(`${node} has exited: no ${sig} sent`);
  };
  return {
    async kill(node, signal = 'SIGKILL') {
      const s = get(node);
      s.proc.signal('SIGCONT');
      s.proc.signal(signal);
      await s.proc.exited;
    },
    async restart(node) {
      const s = get(node);
      if (s.proc.running) await s.proc.stop('SIGTERM', 10_000);
      await startNode(node);
    },
    pause: (node) => signal(node, 'SIGSTOP'),
    resume: (node) => signal(node, 'SIGCONT'),
  };
}

/** Resolves once the gateway knows a ready leader; rejects after `deadlineMs`. */
export async function waitForLeader(gatewayUrl: string, deadlineMs: number): Promise<string> {
  const until = Date.now() + deadlineMs;
  let last = 'no answer';
  while (Date.now() < until) {
    try {
      const r = await fetch(`${gatewayUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
      const body = (await r.json()) as { leader?: string | null };
      if (body.leader) return body.leader;
      last = 'the gateway knows no leader yet';
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no leader within ${deadlineMs} ms (${last})`);
}
