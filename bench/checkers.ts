// Benchmarks, not tests: never asserts a time. Measures each checker's ops/s on generated correct runs (simulated
// history plus observations) of 10^4..10^6 history ops, and the linearizability search on register histories.
// Targets (issue 5): linear checkers 1,000,000 ops in < 10 s and < 1 GB; linearizability 20,000 ops, 10 keys,
// concurrency 10 in < 5 s.
//
//   npm run bench:checkers                       all sizes
//   npm run bench:checkers -- --sizes 10000      chosen sizes
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bench } from 'tinybench';
import { checkers, compose } from '../checkers/index.ts';
import { linearizable } from '../checkers/linearizable.ts';
import { below, prng } from '../checkers/testing/prng.ts';
import { simulateRegister } from '../checkers/testing/register.ts';
import { simulate, type TxnSpec } from '../checkers/testing/simulate.ts';
import type { HistoryOp } from '../format/history.ts';
import { emptyObservations, type Observations } from '../format/observations.ts';
import { trafficClasses } from '../system/common/contract.ts';

const SEED = 20260101;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** A session workload: ten clients, one session per transaction, 5% timeouts, rare leader changes. */
function sessionRun(ops: number): { history: HistoryOp[]; observations: Observations } {
  const random = prng(SEED);
  const specs: TxnSpec[] = [];
  for (let i = 0; specs.length * 2.1 < ops; i++) {
    specs.push({
      ...{ process: below(random, 10), session: i, protocol: random() < 0.5 ? '2pc' : '3pc' },
      trafficClass: trafficClasses[below(random, trafficClasses.length)]!,
      ...{ rmYes: random() < 0.95, billingYes: random() < 0.95 },
      client: random() < 0.05 ? 'timeout' : random() < 0.02 ? 'rejected' : 'answer',
      ...{ gapUs: 1 + below(random, 20), durationUs: 4 + below(random, 40) },
      ...{ cell: below(random, 100), account: below(random, 1000) },
      ...{ leaderChange: random() < 0.001, deadlock: random() < 0.01, readTotals: random() < 0.05 },
    });
  }
  return simulate(specs, { cells: 100, capacity: 1e9, accounts: 1000, balance: 1e9 });
}

/** A register history of at least `ops` ops from `processes` concurrent clients over `keys` keys. */
function registerRun(ops: number, keys: number, processes: number): HistoryOp[] {
  const random = prng(SEED);
  const choices = Array.from({ length: Math.ceil(ops * 1.6) }, () => below(random, 2 ** 30));
  return simulateRegister(choices, { processes, keys, values: 5 }).slice(0, ops);
}

interface Row {
  checker: string;
  ops: number;
  meanMs: number;
  opsPerSec: number;
  verdict: string;
  peakRssMb: number;
  /** Heap in use right after the check, above what it was before (garbage included: an upper bound of its working set). */
  heapAboveMb: number;
}

async function measure(name: string, ops: number, iterations: number, run: () => { valid: unknown }): Promise<Row> {
  let verdict = '';
  let heapAfter = 0;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const bench = new Bench({ time: 0, iterations, warmup: false, throws: true });
  bench.add(name, () => {
    verdict = String(run().valid);
    heapAfter = Math.max(heapAfter, process.memoryUsage().heapUsed);
  });
  await bench.run();
  const result = bench.tasks[0]!.result;
  const meanMs = 'latency' in result ? result.latency.mean : Number.NaN;
  return {
    ...{ checker: name, ops, meanMs: Math.round(meanMs), opsPerSec: Math.round(ops / (meanMs / 1000)), verdict },
    ...{ peakRssMb: peakRssMb(), heapAboveMb: mb(heapAfter - heapBefore) },
  };
}

function print(row: Row): void {
  const cells = [
    row.checker.padEnd(16),
    `${String(row.meanMs).padStart(7)} ms`,
    `${String(row.opsPerSec).padStart(10)} ops/s`,
  ];
  console.log(
    `  ${cells.join(' ')}  ${row.verdict.padEnd(7)} heap +${row.heapAboveMb} MB, peak RSS ${row.peakRssMb} MB`,
  );
}

function calibrate(): number {
  const started = performance.now();
  let sum = 0;
  for (let i = 0; i < 1e8; i++) sum += i;
  if (sum < 0) console.log(sum);
  return Math.round(performance.now() - started);
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--sizes');
  const sizes = at > 0 ? process.argv[at + 1]!.split(',').map(Number) : [10_000, 100_000, 1_000_000];
  console.log(
    `node ${process.version}; this machine adds 1e8 numbers in ${calibrate()} ms (an idle modern core: ~80 ms)`,
  );
  for (const size of sizes) {
    const started = performance.now();
    const { history, observations } = sessionRun(size);
    gc();
    const records = Object.values(observations).reduce((n, list) => n + list.length, 0);
    const took = Math.round(performance.now() - started);
    const heap = mb(process.memoryUsage().heapUsed);
    console.log(
      `\n${history.length} history ops, ${records} observation records (generated in ${took} ms), heap ${heap} MB`,
    );
    const iterations = size >= 1_000_000 ? 1 : size >= 100_000 ? 2 : 5;
    for (const checker of checkers) {
      // A fresh copy of the array each time, so the per-history caches (pairing, client links) are rebuilt.
      print(
        await measure(checker.name, history.length, iterations, () => checker.check(history.slice(), observations, {})),
      );
      gc();
    }
    // As `rig check` runs them: one composite, so pairing and client links are computed once and shared.
    const all = compose(checkers);
    print(
      await measure('all (composite)', history.length, iterations, () => all.check(history.slice(), observations, {})),
    );
    gc();
  }
  console.log('\nlinearizability on register histories (concurrency = processes)');
  for (const [ops, keys, processes] of [
    [20_000, 10, 10],
    [20_000, 1, 10],
    [100_000, 10, 10],
  ] as const) {
    const history = registerRun(ops, keys, processes);
    const opts = { timeLimitMs: 60_000 };
    const row = await measure(`${keys} keys`, history.length, 3, () =>
      linearizable.check(history.slice(), emptyObservations(), opts),
    );
    const what = `${String(ops).padStart(7)} ops, ${String(keys).padStart(2)} key(s), ${processes} processes`;
    console.log(`  ${what}: ${row.meanMs} ms, ${row.opsPerSec} ops/s, ${row.verdict}, heap +${row.heapAboveMb} MB`);
  }
}

await main();
