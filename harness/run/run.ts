// `rig run`, the rig's main job (DESIGN section 3): start the system with a fault proxy on every link, drive a
// seeded workload at it, inject a seeded schedule of faults, heal, wait for quiet, collect the servers' evidence,
// and leave a run directory that anyone can re-check (`rig check`) or reproduce (`rig repro`).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCheckSettings } from '../../checkers/check-run.ts';
import { type RunConfig, type RunOptions, writeConfig } from '../../format/config.ts';
import { HISTORY_FILE } from '../../format/run-dir.ts';
import { Rng } from '../../lib/rng.ts';
import { type Workload, workloadByName } from '../../workloads/index.ts';
import { type Cluster, startCluster, waitForLeader } from '../cluster/cluster.ts';
import { openEnvironment } from '../env/index.ts';
import type { Environment } from '../env/types.ts';
import { parseNemeses } from '../nemesis/index.ts';
import { Network } from '../nemesis/links.ts';
import { openProxyBackend, type ProxyBackend } from '../proxy/backend.ts';
import { collectFinal, collectInitial } from './collect.ts';
import { driveWorkload, type Progress } from './drive.ts';
import { HistoryWriter } from './history.ts';
import { openProbes, type Probes } from './probes.ts';
import { planSchedule } from './schedule.ts';
import { newRunDir } from './store.ts';

export interface RunOutcome {
  runDir: string;
  interrupted: boolean;
  counts: HistoryWriter['counts'];
  problems: string[];
}

export function resolveConfig(options: RunOptions): RunConfig {
  const nemeses = parseNemeses(options.nemesis);
  const rng = new Rng(options.seed);
  const schedule = planSchedule(rng.fork('schedule'), nemeses, {
    timeLimitMs: options.timeLimitS * 1000,
    leaseTtlMs: options.leaseTtlMs,
  });
  return {
    options,
    seed: options.seed,
    schedule,
    startedAt: new Date().toISOString(),
    versions: { node: process.version, rig: '0.1.0' },
    check: runCheckSettings(options, schedule),
  };
}

/** The command that replays `o` exactly: `rig run`, or `rig sim` for a simulated run. */
export function reproCommand(o: RunOptions, mode: 'real' | 'sim' = 'real'): string {
  return [
    mode === 'sim' ? 'npx rig sim' : 'npx rig run',
    `--workload ${o.workload}`,
    `--protocol ${o.protocol}`,
    `--nemesis ${o.nemesis || 'none'}`,
    `--time-limit ${o.timeLimitS}`,
    `--rate ${o.rate}`,
    `--concurrency ${o.concurrency}`,
    `--seed ${o.seed}`,
    `--nodes ${o.nodes}`,
    `--quiet ${o.quietS}`,
    `--lease-ttl-ms ${o.leaseTtlMs}`,
    ...(o.bug ? [`--bug ${o.bug}`] : []),
    ...(o.systemEnv
      ? [
          `--system-env ${Object.entries(o.systemEnv)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}`,
        ]
      : []),
  ].join(' ');
}

interface Running {
  env: Environment;
  proxy?: ProxyBackend;
  cluster?: Cluster;
  probes?: Probes;
}

async function teardown(r: Running): Promise<string[]> {
  const problems: string[] = [];
  const step = async (what: string, fn: () => Promise<unknown> | undefined) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };
  await step('probes', () => r.probes?.close());
  await step('cluster', () => r.cluster?.stop());
  await step('proxy', () => r.proxy?.stop());
  await step('environment', () => r.env.stop());
  return problems;
}

/** Runs the whole test. `signal` aborts it (Ctrl-C): the run stops early but still records and tears down. */
export async function runTest(config: RunConfig, signal: AbortSignal, progress?: Progress): Promise<RunOutcome> {
  const o = config.options;
  const workload = workloadByName(o.workload);
  if (!workload) throw new Error(`unknown workload ${o.workload}`);
  const runDir = newRunDir(o.store, `${o.workload}-${o.protocol}`);
  for (const d of ['logs', 'observations']) mkdirSync(join(runDir, d), { recursive: true });
  writeConfig(runDir, config);

  const env = await openEnvironment({ provider: o.env, dir: runDir, runId: runDir.split('/').slice(-2).join('-') });
  const running: Running = { env };
  let history: HistoryWriter | undefined;
  const problems: string[] = [];
  try {
    const { net, cluster, probes } = await startSystem(config, runDir, workload, running);
    // Time 0 of the history: the system is up and a leader is ready.
    const h = new HistoryWriter(join(runDir, HISTORY_FILE));
    history = h;
    const collectInputs = () => ({
      runDir,
      redis: probes.redis,
      coordinator: probes.db.coordinator,
      participants: { rm: probes.db.rm, billing: probes.db.billing },
      smNodes: cluster.nodes,
      wallToNs: (ms: number) => h.wallToNs(ms),
      nowNs: h.nowNs(),
    });
    await collectInitial(collectInputs());
    await driveWorkload({ config, workload, history: h, net, cluster, env, signal, progress });
    if (!signal.aborted) {
      const left = await probes.waitForQuiet(o.quietS * 1000, signal);
      if (left) problems.push(`the ${o.quietS} s quiet window ended with ${left}`);
    }
    problems.push(...(await collectFinal({ ...collectInputs(), nowNs: h.nowNs() })));
  } finally {
    history?.close();
    problems.push(...(await teardown(running)));
  }
  return {
    runDir,
    interrupted: signal.aborted,
    counts: history?.counts ?? { invoke: 0, ok: 0, fail: 0, info: 0 },
    problems,
  };
}

/** The fault proxy, every service behind it with a leader elected, and the harness's own probes of the stores. */
async function startSystem(config: RunConfig, runDir: string, workload: Workload, running: Running) {
  const o = config.options;
  const proxy = await openProxyBackend({ seed: o.seed, logDir: join(runDir, 'logs') });
  running.proxy = proxy;
  config.environment = running.env.description;
  config.proxy = { kind: proxy.kind, version: proxy.version };
  writeConfig(runDir, config);
  const net = new Network(proxy.url);
  const cluster = await startCluster({
    env: running.env,
    dir: runDir,
    nodes: o.nodes,
    seed: o.seed,
    link: net.link,
    extraEnv: {
      RIG_LEASE_TTL_MS: String(o.leaseTtlMs),
      RIG_SUBSCRIBERS: String(o.subscribers),
      RIG_CELLS: String(o.cells),
      ...workload.systemEnv,
      ...o.systemEnv,
      ...(o.bug ? { RIG_BUG: o.bug } : {}),
    },
  });
  running.cluster = cluster;
  await waitForLeader(cluster.gatewayUrl, 30_000);
  const probes = openProbes(running.env, cluster);
  running.probes = probes;
  return { net, cluster, probes };
}
