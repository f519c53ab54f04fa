// `rig bench`: the system against its storage floor (DESIGN section 8). Measures and prints; asserts nothing.
// Exit 0 when every level was measured, 2 when it could not run (or was interrupted).
import { resolve } from 'node:path';
import { freshSeed } from '../../lib/rng.ts';
import { cpuTable, formatTable, summaryLines, tableHeader, tableRows } from '../bench/figures.ts';
import { concurrencyList, protocolList } from '../bench/options.ts';
import { profileLines } from '../bench/profile.ts';
import { runBench } from '../bench/run.ts';
import { providerChoices } from '../env/index.ts';
import { stopWhenOrphaned } from '../process/lifecycle.ts';
import { type Command, choiceOption, intOption } from './command.ts';
import { parseSystemEnv } from './run.ts';

export const bench: Command = {
  name: 'bench',
  summary: 'throughput and latency of the system with no faults, against the storage floor on the same Postgres',
  usage: [
    'rig bench [--duration S] [--concurrency LIST] [--protocol LIST] [--env auto|external|local|containers]',
    '          [--warmup S] [--nodes N] [--store DIR] [--profile DIR] [--keep-data] [--seed N]',
    '          [--system-env RIG_NAME=value,...]',
    '',
    '  --duration     seconds per level, for the system and again for the floor [10]',
    '  --concurrency  comma list of levels: autocannon connections, and floor workers [1,4,16,32,64]',
    '  --protocol     comma list of 2pc, 3pc; one the system does not answer 201 to is recorded as unavailable [2pc,3pc]',
    '  --warmup       seconds of unrecorded load per protocol before the first level [2]',
    '  --nodes        session managers [3]',
    '  --store        bench results go to <store>/bench/<time>/ [store]',
    '  --profile      every service writes a V8 CPU profile to DIR/<node>/; bench.json summarises self time',
    '  --keep-data    keep the Redis and PostgreSQL data directories (deleted by default)',
    '  --system-env   RIG_NAME=value,... settings for every service, to measure them (e.g. RIG_POOL_MAX=8)',
    '',
    'Per level: the system driven closed-loop through the gateway (one subscriber per request), then the same',
    'durable statements per transaction issued straight to the same PostgreSQL (the floor); then the system at half',
    'its best throughput, paced. Writes bench.json and bench.html; prints system/floor per level and at the best.',
  ].join('\n'),
  options: {
    duration: { type: 'string' },
    concurrency: { type: 'string' },
    protocol: { type: 'string' },
    env: { type: 'string' },
    warmup: { type: 'string' },
    nodes: { type: 'string' },
    store: { type: 'string' },
    profile: { type: 'string' },
    'keep-data': { type: 'boolean' },
    'system-env': { type: 'string' },
    seed: { type: 'string' },
  },
  async run(values) {
    const options = {
      durationS: intOption(values.duration, 'duration', 1, 3600, 10),
      warmupS: intOption(values.warmup, 'warmup', 0, 600, 2),
      concurrency: concurrencyList(values.concurrency),
      protocols: protocolList(values.protocol),
      nodes: intOption(values.nodes, 'nodes', 1, 9, 3),
      env: choiceOption(values.env, 'env', providerChoices, 'auto'),
      store: typeof values.store === 'string' ? values.store : 'store',
      seed: intOption(values.seed, 'seed', 0, Number.MAX_SAFE_INTEGER, freshSeed()),
      keepData: values['keep-data'] === true,
      ...(typeof values.profile === 'string' ? { profileDir: resolve(values.profile) } : {}),
      systemEnv: parseSystemEnv(values['system-env']) ?? {},
    };
    const command = ['rig bench', ...process.argv.slice(3)].join(' ');
    stopWhenOrphaned();
    const { dir, doc } = await runBench({
      ...options,
      command,
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    console.log(formatTable(tableHeader, tableRows(doc.protocols)));
    const cpu = cpuTable(doc.protocols);
    if (cpu) console.log(`\nCPU per transaction, ms (from /proc; busy = share of all CPUs in use):\n${cpu}`);
    console.log('');
    for (const line of summaryLines(doc.protocols)) console.log(line);
    if (doc.profile) for (const line of profileLines(doc.profile.processes)) console.log(line);
    const load = doc.machine.loadAverage;
    console.log(`load average (1/5/15 min): ${load.start.join(' ')} at start, ${load.end?.join(' ') ?? '-'} at end`);
    console.log(`wrote ${dir}/bench.json and bench.html${doc.interrupted ? ' (interrupted: partial figures)' : ''}`);
    const measured = doc.protocols.some((p) => p.available && p.levels.length === options.concurrency.length);
    return measured && !doc.interrupted ? 0 : 2;
  },
};
