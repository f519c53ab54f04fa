// Benchmark (not a test): distributed deadlock resolution against a real cluster. Closed-loop clients create
// multi-resource sessions on a few hot subscribers and hot cells, each listing its cells in a random order, so the
// sessions deadlock, within rm (conflicting cell orders) and across rm and billing (one holds the cell, the other
// the account). It prints the progress made (commits per second, outcomes and abort reasons) and, from the leader's
// `deadlock` observations, how long each deadlock took to resolve, from the moment its cycle closed to the moment
// it was gone, against the participants' lock timeout.
//
//   npx tsx bench/deadlocks.ts [--seconds 20] [--clients 8] [--detector on|off] [--lock-timeout-ms 2000] [--seed 1]
import { parseArgs } from 'node:util';
import { Rng } from '../lib/rng.ts';
import { subscriber } from '../system/__tests__/support.ts';
import { type Answer, createSession, ms, quantile, startSystem, tally } from './system-load.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '8' },
    detector: { type: 'string', default: 'on' },
    'lock-timeout-ms': { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
  },
});
const seconds = Number(args.seconds);
const clients = Number(args.clients);
const lockTimeoutMs = Number(args['lock-timeout-ms']);
const detector = args.detector === 'off' ? 'off' : 'on';

const hotSubscribers = [1, 2, 3, 4].map(subscriber);
const hotCells = ['cell-1', 'cell-2', 'cell-3', 'cell-4'];

function request(rng: Rng) {
  // Two of the hot cells, in a random order; a hot subscriber; both protocols.
  const first = rng.pick(hotCells);
  const second = rng.pick(hotCells.filter((c) => c !== first));
  return {
    subscriberId: rng.pick(hotSubscribers),
    trafficClass: 'data',
    protocol: rng.chance(0.5) ? '2pc' : '3pc',
    cells: [first, second],
  };
}

const sys = await startSystem({
  nodes: 1,
  extraEnv: {
    RIG_DEADLOCK_DETECTOR: detector,
    RIG_LOCK_TIMEOUT_MS: String(lockTimeoutMs),
    RIG_PREPARE_TIMEOUT_MS: String(lockTimeoutMs * 3),
    RIG_DECISION_QUERY_AFTER_MS: '60000',
    RIG_LOG_LEVEL: 'warn',
  },
});
try {
  const rng = new Rng(Number(args.seed));
  const answers: Answer[] = [];
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const mine = rng.fork(`client-${i}`);
      while (performance.now() < until)
        answers.push(await createSession(sys.cluster.gatewayUrl, request(mine), 30_000));
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  // Let the leader see the last cycles go before reading its observations.
  await new Promise((r) => setTimeout(r, 1000));
  report(answers, elapsedS);
} finally {
  await sys.stop();
}

function report(answers: Answer[], elapsedS: number) {
  const commits = answers.filter((a) => a.status === 201).length;
  const reasons = answers.filter((a) => a.status === 409).map((a) => String(a.body.reason));
  const deadlocks = sys.observations('sm-1', 'deadlock').filter((d) => d.resolvedAt !== undefined);
  const byMethod = new Map<string, number[]>();
  for (const d of deadlocks) {
    const list = byMethod.get(String(d.method)) ?? [];
    list.push(Number(d.resolutionMs));
    byMethod.set(String(d.method), list);
  }
  const waits = [...sys.observations('rm', 'lock-wait'), ...sys.observations('billing', 'lock-wait')];
  console.log(`deadlock benchmark: detector ${detector}, lock timeout ${lockTimeoutMs} ms, ${clients} clients`);
  console.log(
    `  ${answers.length} sessions in ${elapsedS.toFixed(1)} s: ${commits} committed (${(commits / elapsedS).toFixed(1)}/s)`,
  );
  console.log(`  statuses: ${tally(answers.map((a) => String(a.status)))}`);
  console.log(`  abort reasons: ${tally(reasons) || 'none'}`);
  console.log(`  lock-wait edges recorded: ${waits.filter((w) => w.end !== undefined).length}`);
  for (const [method, times] of byMethod) {
    const median = quantile(times, 0.5);
    console.log(
      `  deadlocks resolved by ${method}: ${times.length}; resolution median ${ms(median)}, p90 ${ms(quantile(times, 0.9))}, max ${ms(Math.max(...times))}` +
        ` (median = ${((median / lockTimeoutMs) * 100).toFixed(1)}% of the ${lockTimeoutMs} ms lock timeout)`,
    );
  }
  if (byMethod.size === 0) console.log('  no deadlock observed');
}
