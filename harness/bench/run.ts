// `rig bench`, the whole run: servers, the system with no faults and no proxies, then per protocol and concurrency
// level the system (autocannon on the gateway) and the storage floor (the same durable statements straight to the
// same PostgreSQL), interleaved level by level so that both sides see the same machine at nearly the same time;
// then the system at half its best throughput. Writes bench.json and bench.html; the caller prints.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Cluster, startCluster, waitForLeader } from '../cluster/cluster.ts';
import { openEnvironment, type ProviderChoice } from '../env/index.ts';
import { vacuumDatabases } from '../env/pg-admin.ts';
import type { Environment } from '../env/types.ts';
import { isShuttingDown, onShutdown } from '../process/lifecycle.ts';
import { newRunDir } from '../run/store.ts';
import { type CpuGroup, cpuBetween, cpuSnapshot, sampleEverySecond } from './cpu.ts';
import {
  bestOf,
  halfLoadRate,
  type LevelFigures,
  type LevelPair,
  type Protocol,
  type ProtocolFigures,
  pairLevel,
} from './figures.ts';
import { type Floor, openFloor } from './floor.ts';
import { type BenchDocument, renderBenchHtml } from './html.ts';
import { driveGateway, sessionBody } from './load.ts';
import { endLoad, machine, versions } from './machine.ts';
import { drivePaced } from './paced.ts';
import { summarizeProfileDir } from './profile.ts';
import { RequestCounter } from './requests.ts';

export interface BenchOptions {
  durationS: number;
  warmupS: number;
  concurrency: number[];
  protocols: Protocol[];
  nodes: number;
  env: ProviderChoice;
  store: string;
  seed: number;
  /** Each service writes V8 CPU profiles to <profileDir>/<node>/. */
  profileDir?: string;
  /** Keep the servers' data directories (they are deleted by default: a bench's data is not evidence). */
  keepData: boolean;
  /** Settings for every service (`RIG_*`), on top of their defaults. */
  systemEnv: Record<string, string>;
  command: string;
  /** One line per step, for the live progress on stderr. */
  progress: (line: string) => void;
}

export interface BenchOutcome {
  dir: string;
  doc: BenchDocument;
}

interface Running {
  env: Environment;
  cluster?: Cluster;
  floor?: Floor;
  /** Stops the level in progress. */
  stopLevel?: () => void;
}

/** Preloaded into each service to write a CPU profile on exit (see the file). */
const profilerHook = fileURLToPath(new URL('./cpu-profiler.mjs', import.meta.url));

/** The services, each told to write a CPU profile into its own directory when asked. */
function profileEnv(dir: string | undefined, nodes: number): Record<string, Record<string, string>> | undefined {
  if (!dir) return undefined;
  const names = ['gateway', 'rm', 'billing', ...Array.from({ length: nodes }, (_, i) => `sm-${i + 1}`)];
  return Object.fromEntries(
    names.map((n) => [n, { NODE_OPTIONS: `--import="${profilerHook}"`, BENCH_CPU_PROFILE_DIR: join(dir, n) }]),
  );
}

/** One session request with `protocol`; what the gateway answered when it was not 201. */
async function probe(gatewayUrl: string, protocol: Protocol, counter: RequestCounter): Promise<string | undefined> {
  try {
    const r = await fetch(`${gatewayUrl}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: sessionBody(counter.next(), protocol),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await r.text();
    return r.status === 201
      ? undefined
      : `the gateway answered ${r.status} to a ${protocol} session: ${text.slice(0, 200)}`;
  } catch (err) {
    return `no answer to a ${protocol} session: ${(err as Error).message}`;
  }
}

interface Targets {
  cluster: Cluster;
  floor: Floor;
  counter: RequestCounter;
  cpu: CpuGroup[];
  /**
   * Vacuums the databases one side has just written, then checkpoints, between measured phases. Without it the
   * dead rows of one side's level were vacuumed by autovacuum during the other side's next level, or during the
   * half load: a second-by-second timeline showed the half load's worst seconds were the floor's tables being
   * vacuumed. Without the checkpoint the vacuum's dirty pages were written in the next phase's first seconds.
   * Each side still pays whatever autovacuum its own level sets off.
   */
  collect: (side: 'system' | 'floor') => Promise<void>;
}

/** The processes whose CPU time is accounted per level: the services, the servers, and this process. */
function cpuGroups(env: Environment, cluster: Cluster): CpuGroup[] {
  const groups: CpuGroup[] = [...cluster.services].map(([name, s]) => ({ name, pid: s.proc.pid, tree: false }));
  // Only the local provider runs the servers as our children; elsewhere their CPU is not ours to see.
  const pids = 'pids' in env ? (env.pids as { redis?: number; postgres?: number }) : {};
  if (pids.postgres) groups.push({ name: 'postgres', pid: pids.postgres, tree: true });
  if (pids.redis) groups.push({ name: 'redis', pid: pids.redis, tree: false });
  groups.push({ name: 'bench', pid: process.pid, tree: false });
  return groups;
}

/** Runs one level with the CPU accounted around it. */
async function accounted(groups: CpuGroup[], level: () => Promise<LevelFigures>): Promise<LevelFigures> {
  const before = cpuSnapshot(groups);
  const figures = await level();
  const cpu = cpuBetween(before, cpuSnapshot(groups), figures.completed);
  return cpu ? { ...figures, cpu } : figures;
}

async function measureProtocol(o: BenchOptions, r: Running, t: Targets, protocol: Protocol): Promise<ProtocolFigures> {
  const { counter } = t;
  const unavailable = await probe(t.cluster.gatewayUrl, protocol, counter);
  if (unavailable) {
    o.progress(`${protocol}: unavailable (${unavailable})`);
    return { protocol, available: false, unavailable, levels: [] };
  }
  const onStart = (stop: () => void) => {
    r.stopLevel = stop;
  };
  const gateway = { gatewayUrl: t.cluster.gatewayUrl, protocol, counter, onStart };
  if (o.warmupS > 0) {
    const concurrency = o.concurrency[Math.floor(o.concurrency.length / 2)]!;
    o.progress(`${protocol}: warming up ${o.warmupS} s at concurrency ${concurrency} (not recorded)`);
    await driveGateway({ ...gateway, concurrency, durationS: o.warmupS });
    await t.collect('system');
    await t.floor.run({ protocol, concurrency, durationS: o.warmupS });
    await t.collect('floor');
  }
  const levels: LevelPair[] = [];
  for (const concurrency of o.concurrency) {
    if (isShuttingDown()) break;
    const system = await accounted(t.cpu, () => driveGateway({ ...gateway, concurrency, durationS: o.durationS }));
    await t.collect('system');
    if (isShuttingDown()) break;
    const floor = await accounted(t.cpu, () => t.floor.run({ protocol, concurrency, durationS: o.durationS, onStart }));
    await t.collect('floor');
    const pair = pairLevel(system, floor);
    levels.push(pair);
    o.progress(
      `${protocol} c=${concurrency}: system ${system.throughputPerS} tx/s (p99 ${system.latency.p99Ms} ms), ` +
        `floor ${floor.throughputPerS} tx/s (p99 ${floor.latency.p99Ms} ms), ratio ${pair.ratio ?? '-'}`,
    );
  }
  const best = bestOf(levels);
  if (!best || best.system.throughputPerS <= 0 || isShuttingDown()) return { protocol, available: true, levels };
  const ratePerS = halfLoadRate(best);
  const connections = best.system.concurrency;
  o.progress(`${protocol}: half load, ${ratePerS} req/s paced on ${connections} connections`);
  // The floor's last level has just loaded the same PostgreSQL hardest: let the system settle at the half-load
  // rate, unrecorded, as every other measured phase is warmed up.
  if (o.warmupS > 0) {
    await drivePaced({ ...gateway, ratePerS, connections, durationS: o.warmupS, inFlightMax: 4096 });
  }
  const sampler = sampleEverySecond(t.cpu);
  const halfLoad = await accounted(t.cpu, () =>
    drivePaced({ ...gateway, ratePerS, connections, durationS: o.durationS, inFlightMax: 4096 }),
  );
  const cpuSeconds = sampler.stop();
  halfLoad.timeline = halfLoad.timeline?.map((s, i) => ({ ...s, ...cpuSeconds[i] }));
  o.progress(`${protocol} half load: p50 ${halfLoad.latency.p50Ms} ms, p99 ${halfLoad.latency.p99Ms} ms`);
  return { protocol, available: true, levels, best, halfLoad };
}

async function teardown(r: Running, progress: (line: string) => void): Promise<void> {
  r.stopLevel?.();
  const steps: Array<[string, (() => Promise<void>) | undefined]> = [
    ['floor', r.floor ? () => r.floor!.close() : undefined],
    ['cluster', r.cluster ? () => r.cluster!.stop() : undefined],
    ['servers', () => r.env.stop()],
  ];
  for (const [what, step] of steps) {
    try {
      await step?.();
    } catch (err) {
      progress(`teardown of the ${what} failed: ${(err as Error).message}`);
    }
  }
}

function writeDocument(dir: string, doc: BenchDocument): void {
  writeFileSync(join(dir, 'bench.json'), `${JSON.stringify(doc, null, 2)}\n`);
  writeFileSync(join(dir, 'bench.html'), renderBenchHtml(doc));
}

export async function runBench(o: BenchOptions): Promise<BenchOutcome> {
  const dir = newRunDir(o.store, 'bench');
  const doc: BenchDocument = {
    startedAt: new Date().toISOString(),
    command: o.command,
    options: {
      durationS: o.durationS,
      warmupS: o.warmupS,
      concurrency: o.concurrency,
      protocols: o.protocols,
      nodes: o.nodes,
      env: o.env,
      seed: o.seed,
      profileDir: o.profileDir ?? null,
      systemEnv: o.systemEnv,
    },
    environment: '',
    machine: machine(),
    versions: { node: process.version, postgres: '', redis: '', rig: '', commit: '' },
    protocols: [],
  };
  o.progress(`bench directory: ${dir}`);
  const env = await openEnvironment({ provider: o.env, dir, runId: `bench-${doc.startedAt.replace(/[:.]/g, '-')}` });
  const r: Running = { env };
  // Once only, whether a signal or the end of the run gets here first.
  let stopped: Promise<void> | undefined;
  const stopAll = () => {
    stopped ??= teardown(r, o.progress);
    return stopped;
  };
  const unregister = onShutdown(stopAll);
  try {
    doc.environment = env.description;
    doc.versions = await versions(env);
    const nodeEnv = profileEnv(o.profileDir, o.nodes);
    r.cluster = await startCluster({
      env,
      dir,
      nodes: o.nodes,
      seed: o.seed,
      extraEnv: o.systemEnv,
      ...(nodeEnv ? { nodeEnv } : {}),
    });
    await waitForLeader(r.cluster.gatewayUrl, 30_000);
    r.floor = await openFloor(env, Math.max(...o.concurrency));
    const written = { system: Object.values(r.cluster.databases), floor: Object.values(r.floor.databases) };
    const targets: Targets = {
      cluster: r.cluster,
      floor: r.floor,
      counter: new RequestCounter(),
      cpu: cpuGroups(env, r.cluster),
      collect: async (side) => {
        if (!isShuttingDown()) await vacuumDatabases(env.postgres, written[side]);
      },
    };
    for (const protocol of o.protocols) {
      if (isShuttingDown()) break;
      doc.protocols.push(await measureProtocol(o, r, targets, protocol));
    }
  } finally {
    await stopAll();
    unregister();
    if (!o.keepData)
      for (const d of ['redis', 'postgres']) rmSync(join(dir, 'servers', d), { recursive: true, force: true });
  }
  endLoad(doc.machine);
  if (isShuttingDown()) doc.interrupted = true;
  doc.finishedAt = new Date().toISOString();
  if (o.profileDir) doc.profile = { dir: o.profileDir, processes: summarizeProfileDir(o.profileDir) };
  writeDocument(dir, doc);
  return { dir, doc };
}
