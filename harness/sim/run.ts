// `rig sim`'s run: the same job as `rig run` (harness/run/run.ts), in one process on virtual time. The system comes
// up on the models, the workload's seeded clients drive the gateway over the simulated network, the quiet window
// lets every transaction finish, and the servers' evidence is collected by the same readers from the models. The
// run directory has the real format (config.json says `mode: sim`), so `rig check`, the reports and the index serve
// it unchanged. The seeded fault schedule is played by the same nemeses as in a real run, on the simulated network
// and nodes (harness/sim/system.ts, nemesisTarget).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RunConfig, writeConfig } from '../../format/config.ts';
import { HISTORY_FILE } from '../../format/run-dir.ts';
import { Rng } from '../../lib/rng.ts';
import { type Workload, workloadByName } from '../../workloads/index.ts';
import { GatewayClient } from '../run/client.ts';
import { type CollectInputs, collectFinal, collectInitial } from '../run/collect.ts';
import { runClients } from '../run/drive.ts';
import { HistoryWriter } from '../run/history.ts';
import { runNemeses } from '../run/nemesis-loop.ts';
import { unfinishedWork } from '../run/probes.ts';
import { newRunDir } from '../run/store.ts';
import { installGuard, type Violation } from './guard.ts';
import { Kernel } from './kernel.ts';
import type { SimNetwork } from './network.ts';
import { SimSystem } from './system.ts';

export interface SimOutcome {
  runDir: string;
  traceHash: string;
  events: number;
  virtualMs: number;
  counts: HistoryWriter['counts'];
  /** Things that went wrong around the run (a store that could not be read, an unfinished quiet window). */
  problems: string[];
  /** Calls of real time or randomness from simulated code: any makes the run unusable. */
  violations: Violation[];
  /** The simulated network's messages, by what became of them. */
  messages: SimNetwork['counts'];
}

/** Virtual time allowed for the system to come up and elect a leader. */
const startDeadlineMs = 30_000;
/** How long each client call may take before the client gives up on it (as GatewayClient's real default). */
const clientTimeoutMs = 20_000;
/** How often the quiet window looks for unfinished work (virtual ms). */
const quietPollMs = 100;
/** Virtual time allowed for the services to stop (leases given up). */
const stopDeadlineMs = 5_000;

/** The environment a real cluster gives every service for these options (harness/run/run.ts, startSystem). */
export function simEnv(config: RunConfig, workload: Workload): Record<string, string> {
  const o = config.options;
  return {
    RIG_LEASE_TTL_MS: String(o.leaseTtlMs),
    RIG_SUBSCRIBERS: String(o.subscribers),
    RIG_CELLS: String(o.cells),
    ...workload.systemEnv,
    ...o.systemEnv,
    ...(o.bug ? { RIG_BUG: o.bug } : {}),
  };
}

/** Runs `config` in simulation and leaves its run directory; the caller checks it. */
export async function simulate(config: RunConfig): Promise<SimOutcome> {
  const o = config.options;
  const workload = workloadByName(o.workload);
  if (!workload) throw new Error(`unknown workload ${o.workload}`);
  const runDir = newRunDir(o.store, `${o.workload}-${o.protocol}`);
  for (const d of ['logs', 'observations']) mkdirSync(join(runDir, d), { recursive: true });
  config.mode = 'sim';
  config.environment = 'simulation: models of Redis and PostgreSQL (harness/sim/models/), virtual time';
  writeConfig(runDir, config);

  const kernel = new Kernel(o.seed);
  const system = new SimSystem(kernel, { nodes: o.nodes, seed: o.seed, env: simEnv(config, workload) });
  const problems: string[] = [];
  let history: HistoryWriter | undefined;
  const removeGuard = installGuard();
  let violations: Violation[] = [];
  try {
    system.start();
    await kernel.run({ until: () => system.ready() || system.startFailure !== undefined, untilMs: startDeadlineMs });
    if (system.startFailure) throw system.startFailure;
    if (!system.ready()) throw new Error(`the simulated system had no leader after ${startDeadlineMs} virtual ms`);

    // Time 0 of the history: the system is up and a leader is ready, as in a real run.
    const clientClock = kernel.clock('client');
    const h = new HistoryWriter(join(runDir, HISTORY_FILE), {
      monotonicNs: () => Math.round(kernel.nowMs() * 1e6),
      wallMs: () => clientClock.wallMs(),
    });
    history = h;
    const inputs = (): CollectInputs => ({
      runDir,
      redis: system.redis.evidence,
      coordinator: system.txlog.evidence,
      participants: { rm: system.participants.rm.evidence, billing: system.participants.billing.evidence },
      smNodes: system.smNodes,
      wallToNs: (ms) => h.wallToNs(ms),
      nowNs: h.nowNs(),
    });
    await collectInitial(inputs());

    const rng = new Rng(o.seed);
    const stop = new AbortController();
    clientClock.setTimeout(() => stop.abort(), o.timeLimitS * 1000);
    const client = new GatewayClient(system.gatewayTransport('client', clientTimeoutMs));
    let clientsDone = false;
    let nemesisDone = false;
    void runNemeses({
      schedule: config.schedule,
      history: h,
      target: system.nemesisTarget(o.leaseTtlMs),
      rng: rng.fork('nemesis'),
      stop: stop.signal,
      clock: kernel.clock('nemesis'),
      onFault: () => {},
    }).finally(() => {
      nemesisDone = true;
    });
    void runClients({
      options: o,
      history: h,
      client,
      ops: workload.ops(rng.fork('workload'), { protocol: o.protocol, subscribers: o.subscribers, cells: o.cells }),
      timing: rng.fork('timing'),
      stop: stop.signal,
      clock: clientClock,
    }).finally(() => {
      clientsDone = true;
    });
    // Bounded: a client call that never ends is bounded by its own timeout, so this is only a backstop.
    const done = () => clientsDone && nemesisDone;
    await kernel.run({ until: done, untilMs: (o.timeLimitS * 1000 + clientTimeoutMs) * 2 });
    if (!done()) problems.push('the clients or the final heal had not finished long after the time limit');

    const left = await quietWindow(kernel, system, o.quietS * 1000);
    if (left) problems.push(`the ${o.quietS} s quiet window ended with ${left}`);
    writeLogs(runDir, system);
    problems.push(...(await collectFinal({ ...inputs(), nowNs: h.nowNs() })));

    let stopped = false;
    void system.stop().finally(() => {
      stopped = true;
    });
    await kernel.run({ until: () => stopped, untilMs: kernel.nowMs() + stopDeadlineMs });
  } finally {
    violations = removeGuard();
    history?.close();
  }
  config.sim = { traceHash: kernel.traceHash(), events: kernel.eventsRun, virtualMs: Math.round(kernel.nowMs()) };
  writeConfig(runDir, config);
  return {
    runDir,
    traceHash: config.sim.traceHash,
    events: config.sim.events,
    virtualMs: config.sim.virtualMs,
    counts: history?.counts ?? { invoke: 0, ok: 0, fail: 0, info: 0 },
    problems,
    violations,
    messages: system.net.counts,
  };
}

/**
 * Runs until nothing is left unfinished (open transactions, unsent events, prepared transactions: the real run's
 * quiet condition, harness/run/probes.ts) or `limitMs` of virtual time has passed; returns what was left, if any.
 * The models are read directly: the rig's probe is not part of the system, and does not use its network.
 */
async function quietWindow(kernel: Kernel, system: SimSystem, limitMs: number): Promise<string | undefined> {
  const db = {
    coordinator: system.txlog.evidence,
    rm: system.participants.rm.evidence,
    billing: system.participants.billing.evidence,
  };
  const clock = kernel.clock('probe');
  let quiet = false;
  let left = 'nothing was read';
  const poll = clock.setInterval(() => {
    void unfinishedWork(db).then((u) => {
      if (u.open + u.unsent + u.prepared === 0) quiet = true;
      left =
        `${u.open} transactions open in the log, ${u.unsent} events not yet in the stream and ` +
        `${u.prepared} transactions prepared at a participant`;
    });
  }, quietPollMs);
  await kernel.run({ until: () => quiet, untilMs: kernel.nowMs() + limitMs });
  clock.clearInterval(poll);
  return quiet ? undefined : left;
}

function writeLogs(runDir: string, system: SimSystem): void {
  for (const node of system.logs.keys()) writeFileSync(join(runDir, 'logs', `${node}.log`), system.logText(node));
}
