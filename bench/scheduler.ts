// Benchmark (not a test): the scheduler under overload against a real cluster. An open-loop load (arrivals at a
// fixed rate, whether or not earlier requests finished) of voice, video and data sessions is driven at a leader
// with few workers and a slow participant (latency injected at run time), so far more arrives than it can serve.
// It prints, per traffic class, the queue delay the leader reports in each answer (`timings.queueMs`: p50, p99,
// max) and how many requests admission control shed (503 overloaded).
//
//   npx tsx bench/scheduler.ts [--seconds 15] [--rate 150] [--workers 4] [--queue-max 64] [--prepare-ms 20] [--seed 1]
import { parseArgs } from 'node:util';
import { Rng } from '../lib/rng.ts';
import { setFaults, subscriber } from '../system/__tests__/support.ts';
import { type Answer, createSession, ms, quantile, startSystem, tally } from './system-load.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    rate: { type: 'string', default: '150' },
    workers: { type: 'string', default: '4' },
    'queue-max': { type: 'string', default: '64' },
    'prepare-ms': { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
  },
});
const seconds = Number(args.seconds);
const ratePerS = Number(args.rate);
const workers = Number(args.workers);
const prepareMs = Number(args['prepare-ms']);
const mix = { voice: 0.3, video: 0.2, data: 0.5 };
const classes = Object.keys(mix) as Array<keyof typeof mix>;

const sys = await startSystem({
  nodes: 1,
  extraEnv: {
    RIG_WORKERS: String(workers),
    RIG_QUEUE_MAX: String(args['queue-max']),
    RIG_LOG_LEVEL: 'warn',
  },
});
try {
  // The participant is made slow at run time, so that the workers, not the machine, are the bottleneck.
  await setFaults(sys, 'rm', { latency: { '/v1/txn/:txnId/prepare': { ms: prepareMs, jitterMs: prepareMs / 4 } } });
  const rng = new Rng(Number(args.seed));
  const sent: Array<{ cls: string; answer: Promise<Answer> }> = [];
  const started = performance.now();
  const intervalMs = 1000 / ratePerS;
  for (let i = 0; performance.now() - started < seconds * 1000; i++) {
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const cls = rng.weighted(mix);
    const body = { subscriberId: subscriber(rng.int(0, 99_999)), trafficClass: cls, protocol: '2pc' };
    sent.push({ cls, answer: createSession(sys.cluster.gatewayUrl, body, 60_000) });
  }
  const answers = await Promise.all(sent.map(async (s) => ({ cls: s.cls, a: await s.answer })));
  report(answers, (performance.now() - started) / 1000);
} finally {
  await sys.stop();
}

function report(answers: Array<{ cls: string; a: Answer }>, elapsedS: number) {
  console.log(
    `scheduler benchmark: ${answers.length} requests at ${ratePerS}/s for ${seconds} s, ${workers} workers, ` +
      `queue max ${args['queue-max']}, rm prepare +${prepareMs} ms (${elapsedS.toFixed(1)} s in all)`,
  );
  for (const cls of classes) {
    const mine = answers.filter((x) => x.cls === cls).map((x) => x.a);
    const served = mine.filter((a) => a.status === 201 || a.status === 409);
    const delays = served.map((a) => Number((a.body.timings as { queueMs?: number } | undefined)?.queueMs ?? 0));
    const shed = mine.filter((a) => a.status === 503 && a.body.code === 'overloaded').length;
    console.log(
      `  ${cls.padEnd(5)} sent ${String(mine.length).padStart(5)}, served ${String(served.length).padStart(5)}, ` +
        `shed ${String(shed).padStart(5)} (${((shed / Math.max(1, mine.length)) * 100).toFixed(1)}%); queue delay ` +
        `p50 ${ms(quantile(delays, 0.5))}, p99 ${ms(quantile(delays, 0.99))}, max ${ms(Math.max(...delays))}`,
    );
  }
  console.log(`  statuses: ${tally(answers.map((x) => String(x.a.status)))}`);
}
