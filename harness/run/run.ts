// `rig run`, the rig's main job (DESIGN section 3): start the system with a fault proxy on every link, drive a
// seeded workload at it, inject a seeded schedule of faults, heal, wait for quiet, collect the servers' evidence,
// and leave a run directory that anyone can re-check (`rig check`) or reproduce (`rig repro`).
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCheckerNames } from '../../checkers/index.ts';
import { type RunConfig, type RunOptions, type Window, writeConfig } from '../../format/config.ts';
import type { CheckSettings } from '../../format/results.ts';
import { HISTORY_FILE } from '../../format/run-dir.ts';
import { Rng } from '../../lib/rng.ts';
import { workloadByName } from '../../workloads/index.ts';
import { type Cluster, startCluster, waitForLeader } from '../cluster/cluster.ts';
import { openEnvironment } from '../env/index.ts';
import type { Environment } from '../env/types.ts';
import { parseNemeses } from '../nemesis/index.ts';
import { Network } from '../nemesis/links.ts';
import { openProxyBackend, type ProxyBackend } from '../proxy/backend.ts';
import { GatewayClient } from './client.ts';
import { collectFinal, collectInitial } from './collect.ts';
import { HistoryWriter } from './history.ts';
import { runNemeses } from './nemesis-loop.ts';
import { openProbes, type Probes } from './probes.ts';
import { planSchedule } from './schedule.ts';
import { newRunDir } from './store.ts';

export interface RunOutcome {
  runDir: string;
  interrupted: boolean;
  counts: HistoryWriter['counts'];
  problems: string[];
}

export type Progress = (line: {
  elapsedS: number;
  limitS: number;
  counts: HistoryWriter['counts'];
  fault: string;
}) => void;

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
    check: checkSettingsFor(options, schedule),
  };
}

/** How a run with these options and this schedule is checked, stored in its config.json. */
export function checkSettingsFor(options: RunOptions, schedule: readonly Window[]): CheckSettings {
  return {
    // Every transaction must end within the quiet window the run waited for it.
    deadlineMs: options.quietS * 1000,
    timeLimitMs: 10_000,
    checkers: defaultCheckerNames(schedule.length > 0),
  };
}

/** The command that replays `o` exactly. */
export function reproCommand(o: RunOptions): string {
  return [
    'npx rig run',
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
    running.proxy = await openProxyBackend({ seed: o.seed, logDir: join(runDir, 'logs') });
    config.environment = env.description;
    config.proxy = { kind: running.proxy.kind, version: running.proxy.version };
    writeConfig(runDir, config);
    const net = new Network(running.proxy.url);
    running.cluster = await startCluster({
      env,
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
    await waitForLeader(running.cluster.gatewayUrl, 30_000);
    running.probes = openProbes(env, running.cluster);
    // Time 0 of the history: the system is up and a leader is ready.
    history = new HistoryWriter(join(runDir, HISTORY_FILE));
    const h = history;
    const collectInputs = () => ({
      runDir,
      redis: running.probes!.redis,
      coordinator: running.probes!.db.coordinator,
      participants: { rm: running.probes!.db.rm, billing: running.probes!.db.billing },
      smNodes: running.cluster!.nodes,
      wallToNs: (ms: number) => h.wallToNs(ms),
      nowNs: h.nowNs(),
    });
    await collectInitial(collectInputs());

    const client = new GatewayClient(running.cluster.gatewayUrl, 20_000);
    const rng = new Rng(o.seed);
    const ops = workload.ops(rng.fork('workload'), {
      protocol: o.protocol,
      subscribers: o.subscribers,
      cells: o.cells,
    });
    const stop = new AbortController();
    // Every client's pacing sleep listens to it at once: more than Node's default of 10 is expected, not a leak.
    setMaxListeners(o.concurrency + 10, stop.signal);
    // Removed when the workload ends: `rig shrink` and `rig efficacy` pass one signal to run after run.
    const stopOnAbort = () => stop.abort();
    signal.addEventListener('abort', stopOnAbort, { once: true });
    const endTimer = setTimeout(() => stop.abort(), o.timeLimitS * 1000);
    let fault = 'none';
    const ticker = setInterval(
      () => progress?.({ elapsedS: h.nowNs() / 1e9, limitS: o.timeLimitS, counts: h.counts, fault }),
      1000,
    );
    const timing = rng.fork('timing');
    let nextProcess = o.concurrency;
    const worker = async (first: number) => {
      let process = first;
      while (!stop.signal.aborted) {
        if (o.rate > 0) await sleep(timing.next() * 2 * (o.concurrency / o.rate) * 1000, stop.signal);
        if (stop.signal.aborted) break;
        const spec = ops.next().value;
        h.append({ type: 'invoke', process, f: spec.f, value: spec.value });
        const done = await client.createSession(spec.value);
        h.append({
          type: done.type,
          process,
          f: spec.f,
          value: done.value,
          ...(done.error ? { error: done.error } : {}),
        });
        // Jepsen's rule: a process whose op ended unknown may still be running it, so it continues as a new process.
        if (done.type === 'info') process = nextProcess++;
      }
    };
    const workers = Array.from({ length: o.concurrency }, (_, i) => worker(i));
    const nemesisDone = runNemeses({
      schedule: config.schedule,
      history: h,
      net,
      cluster: running.cluster,
      env,
      rng: rng.fork('nemesis'),
      leaseTtlMs: o.leaseTtlMs,
      stop: stop.signal,
      onFault: (f) => {
        fault = f;
      },
    });
    await Promise.all([...workers, nemesisDone]);
    signal.removeEventListener('abort', stopOnAbort);
    clearTimeout(endTimer);
    client.close();
    if (!signal.aborted) {
      const left = await running.probes.waitForQuiet(o.quietS * 1000, signal);
      if (left) problems.push(`the ${o.quietS} s quiet window ended with ${left}`);
    }
    clearInterval(ticker);
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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
