// `rig run`: run, save, then check (Jepsen's core loop). Exit 0 valid, 1 invalid, 2 unknown or could not run.

import { type Availability, availabilityLines } from '../../checkers/availability.ts';
import { checkLoadedRun } from '../../checkers/check-run.ts';
import { protocolChoices, type RunConfig, type RunOptions } from '../../format/config.ts';
import { LoadError } from '../../format/jsonl.ts';
import type { Results } from '../../format/results.ts';
import { loadRun } from '../../format/run-dir.ts';
import { freshSeed } from '../../lib/rng.ts';
import { writeIndex, writeReport } from '../../reports/index.ts';
import { workloadByName, workloads } from '../../workloads/index.ts';
import { efficacyMatrix } from '../efficacy/matrix.ts';
import { providerChoices } from '../env/index.ts';
import { nemeses, parseNemeses } from '../nemesis/index.ts';
import { onShutdown, stopWhenOrphaned } from '../process/lifecycle.ts';
import { reproCommand, resolveConfig, runTest } from '../run/run.ts';
import { linkLatest } from '../run/store.ts';
import { summarize, summaryLines } from '../run/summary.ts';
import { exitCode, printVerdicts } from './check.ts';
import { type Command, choiceOption, intOption, UsageError, type Values } from './command.ts';

export const runUsage = [
  'rig run [--workload NAME] [--protocol 2pc|3pc|mixed] [--nemesis LIST|all|none] [--time-limit S] [--rate N]',
  '        [--concurrency N] [--seed N] [--nodes N] [--env auto|external|local|containers] [--quiet S] [--store DIR]',
  '',
  '  --workload     what the clients do [sessions]:',
  ...workloads.map((w) => `                   ${w.name.padEnd(14)} ${w.summary}`),
  '  --protocol     commit protocol of every session, or a seeded mix [2pc]',
  `  --nemesis      comma list of: ${nemeses.map((n) => n.name).join(', ')}; or all, none [partition,kill,pause]`,
  ...nemeses.map((n) => `                   ${n.name.padEnd(14)} ${n.summary}`),
  '  --time-limit   seconds of workload and faults, then the final heal [30]',
  '  --rate         operations per second over all clients, 0 = as fast as they go [50; lifecycle 100]',
  '  --concurrency  client processes [8]',
  '  --seed         fixes the workload, its timing and the fault schedule [a fresh one, printed]',
  '  --nodes        session managers [3]',
  '  --quiet        seconds after the final heal in which every transaction must finish [15]',
  '  --lease-ttl-ms leader lease TTL [2000]',
  '  --store        where runs are kept [store]',
  '  --system-env   RIG_NAME=value,... settings for every service (e.g. RIG_PREPARE_TIMEOUT_MS=60000)',
  '  --bug          switch on one planted bug, to see a checker catch it (rig efficacy runs them all):',
  ...efficacyMatrix.map((c) => `                   ${c.bug.padEnd(20)} ${c.why}`),
].join('\n');

export function runOptions(values: Values, command: string): RunOptions {
  const workload = typeof values.workload === 'string' ? values.workload : 'sessions';
  if (!workloads.some((w) => w.name === workload)) {
    throw new UsageError(`--workload must be one of ${workloads.map((w) => w.name).join(', ')}, got "${workload}"`);
  }
  const nemesis =
    typeof values.nemesis === 'string'
      ? values.nemesis
      : (workloadByName(workload)?.defaultNemesis ?? 'partition,kill,pause');
  try {
    parseNemeses(nemesis);
  } catch (err) {
    throw new UsageError(`--nemesis: ${(err as Error).message}`);
  }
  const bug = typeof values.bug === 'string' ? values.bug : undefined;
  const systemEnv = parseSystemEnv(values['system-env']);
  if (bug !== undefined && !efficacyMatrix.some((c) => c.bug === bug)) {
    throw new UsageError(`--bug must be one of ${efficacyMatrix.map((c) => c.bug).join(', ')}, got "${bug}"`);
  }
  return {
    workload,
    protocol: choiceOption(values.protocol, 'protocol', protocolChoices, '2pc'),
    nemesis,
    timeLimitS: intOption(values['time-limit'], 'time-limit', 1, 86_400, 30),
    rate: intOption(values.rate, 'rate', 0, 100_000, workloadByName(workload)?.defaultRate ?? 50),
    concurrency: intOption(values.concurrency, 'concurrency', 1, 1000, 8),
    seed: intOption(values.seed, 'seed', 0, Number.MAX_SAFE_INTEGER, freshSeed()),
    nodes: intOption(values.nodes, 'nodes', 1, 9, 3),
    env: choiceOption(values.env, 'env', providerChoices, 'auto'),
    store: typeof values.store === 'string' ? values.store : 'store',
    quietS: intOption(values.quiet, 'quiet', 1, 3600, 15),
    leaseTtlMs: intOption(values['lease-ttl-ms'], 'lease-ttl-ms', 200, 60_000, 2000),
    subscribers: 1000,
    cells: 100,
    command,
    ...(bug ? { bug } : {}),
    ...(systemEnv ? { systemEnv } : {}),
  };
}

/** `--system-env RIG_A=1,RIG_B=2`: settings passed to every service. */
export function parseSystemEnv(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'string') return undefined;
  const out: Record<string, string> = {};
  for (const pair of value.split(',').filter(Boolean)) {
    const m = /^(RIG_[A-Z0-9_]+)=([^,]*)$/.exec(pair.trim());
    if (!m) throw new UsageError(`--system-env takes RIG_NAME=value pairs separated by commas, got "${pair}"`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

export const runOptionSpec = {
  workload: { type: 'string' },
  protocol: { type: 'string' },
  nemesis: { type: 'string' },
  'time-limit': { type: 'string' },
  rate: { type: 'string' },
  concurrency: { type: 'string' },
  seed: { type: 'string' },
  nodes: { type: 'string' },
  env: { type: 'string' },
  quiet: { type: 'string' },
  store: { type: 'string' },
  'lease-ttl-ms': { type: 'string' },
  bug: { type: 'string' },
  'system-env': { type: 'string' },
} as const;

/** Runs a resolved configuration, checks it, prints the verdict; returns the exit code. */
export async function executeRun(config: RunConfig): Promise<number> {
  const o = config.options;
  console.log(`seed ${o.seed}; reproduce with: ${o.command}`);
  const abort = new AbortController();
  let finished: Promise<unknown> = Promise.resolve();
  onShutdown(async () => {
    abort.abort();
    await finished;
  });
  stopWhenOrphaned();
  const tty = process.stdout.isTTY;
  let last = 0;
  const run = runTest(config, abort.signal, (p) => {
    const line = `${p.elapsedS.toFixed(0)}/${p.limitS} s  ${(p.counts.invoke / Math.max(1, p.elapsedS)).toFixed(0)} ops/s  ok ${p.counts.ok} fail ${p.counts.fail} info ${p.counts.info}  fault: ${p.fault}`;
    if (tty) process.stdout.write(`\r${line.padEnd(100)}`);
    else if (p.elapsedS - last >= 5) {
      last = p.elapsedS;
      console.log(line);
    }
  });
  finished = run.catch(() => {});
  const outcome = await run;
  if (tty) process.stdout.write('\n');
  console.log(`run directory: ${outcome.runDir}`);
  for (const p of outcome.problems) console.error(`warning: ${p}`);
  linkLatest(o.store, outcome.runDir);
  if (outcome.interrupted) {
    console.log(
      `interrupted: the history recorded so far is in ${outcome.runDir}; check it with: npx rig check ${outcome.runDir}`,
    );
    return 2;
  }
  return judgeRun(outcome.runDir, o.store);
}

/**
 * The end of `rig run` and `rig repro`: the run's summary, its check (with the settings in its config.json, as
 * `rig check` would), its report and the store's index. A history that cannot be read is exit 2, named by line.
 */
export async function judgeRun(runDir: string, store: string): Promise<number> {
  let results: Results;
  try {
    const loaded = loadRun(runDir);
    for (const line of summaryLines(summarize(loaded.history))) console.log(line);
    results = checkLoadedRun(runDir, loaded);
    const unavailability = results.results.stats?.stats.availability as Availability | undefined;
    if (unavailability) for (const line of availabilityLines(unavailability)) console.log(line);
  } catch (err) {
    if (!(err instanceof LoadError)) throw err;
    console.log(`unreadable       ${err.message}`);
    return 2;
  }
  printVerdicts(results);
  try {
    console.log(`report: ${await writeReport(runDir)}`);
    await writeIndex(store);
  } catch (err) {
    console.error(`warning: the report could not be written: ${(err as Error).message}`);
  }
  return exitCode(results.valid);
}

export const run: Command = {
  name: 'run',
  summary: 'run the system under a seeded workload and fault schedule, then check the history',
  usage: runUsage,
  options: runOptionSpec,
  async run(values) {
    const options = runOptions(values, '');
    options.command = reproCommand(options);
    return executeRun(resolveConfig(options));
  },
};
