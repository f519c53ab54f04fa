// Micro-benchmarks (tinybench), not tests: never asserts a time. The hot pieces of one session transaction, each on
// its own: HMAC signing and verification of an internal request (system/common/signing.ts), the session manager's
// priority queue (offer then take, at depth 0 and 500), and a DSM compare-and-swap round trip with the real Lua
// script against a private redis-server (RedisStore.cas), beside a bare PING for the round trip alone. Then the
// checkers' ops per second on generated histories of 10^4 to 10^6 ops, which bench/checkers.ts already measures:
// it is run as it is.
//
//   npm run bench:micro [-- --time-ms 1000] [-- --skip-checkers] [-- --sizes 10000,100000]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { startLocal } from '../harness/env/local.ts';
import { redisUrl } from '../harness/env/types.ts';
import { Rng } from '../lib/rng.ts';
import { type TrafficClass, trafficClasses } from '../system/common/contract.ts';
import { connectRedis } from '../system/common/redis.ts';
import { parseKeyRing, signRequest, Verifier } from '../system/common/signing.ts';
import { PriorityQueue } from '../system/session-manager/scheduler.ts';
import { RedisStore, type SessionRecord } from '../system/session-manager/store.ts';

const { values: args } = parseArgs({
  options: {
    'time-ms': { type: 'string', default: '1000' },
    'skip-checkers': { type: 'boolean', default: false },
    sizes: { type: 'string' },
  },
});
const timeMs = Number(args['time-ms']);

// A prepare body as the coordinator sends it, and the system's verifier defaults (system/common/service.ts).
const body = JSON.stringify({
  token: 7,
  sessionId: 'ses-1b4e28ba-2fa1-11d2-883f-0016d3cca427',
  protocol: '2pc',
  subscriberId: 'imsi-001010000012345',
  cells: ['cell-17'],
  amount: 10,
});
const path = '/v1/txn/txn-6ba7b810-9dad-11d1-80b4-00c04fd430c8/prepare';
const ring = parseKeyRing('k1:0123456789abcdef0123456789abcdef');

function signingTasks(bench: Bench): void {
  bench.add('sign a prepare (HMAC-SHA256 + SHA-256 body digest)', () => {
    signRequest(ring, 'POST', path, body, Date.now());
  });
  const verifier = new Verifier(ring, { windowMs: 30_000, nonceCacheMax: 200_000 });
  const buf = Buffer.from(body);
  let headers: Record<string, string> = {};
  // Each verification needs a request never seen (nonces are single use); signing it is not timed.
  bench.add(
    'verify a prepare (incl. nonce cache)',
    () => void verifier.verify('POST', path, headers, buf, Date.now()),
    {
      beforeEach: () => {
        headers = signRequest(ring, 'POST', path, body, Date.now());
      },
    },
  );
}

function schedulerTasks(bench: Bench): void {
  const rng = new Rng(20260101);
  const cls = (): TrafficClass => rng.pick(trafficClasses);
  const empty = new PriorityQueue<number>(512, 1000, 4);
  bench.add('scheduler offer+take, empty queue', () => {
    empty.offer(1, 'data', 0);
    empty.take(0);
  });
  // A standing queue of 500 mixed requests, some old enough to be promoted: take runs its aging scan every time.
  const deep = new PriorityQueue<number>(1024, 1000, 4);
  for (let i = 0; i < 500; i++) deep.offer(i, cls(), i * 4);
  let now = 2000;
  bench.add('scheduler offer+take, 500 waiting, mixed classes', () => {
    deep.offer(now, cls(), now);
    deep.take(now);
    now += 1;
  });
}

function record(sessionId: string): SessionRecord {
  return {
    sessionId,
    txnId: 'txn-6ba7b810-9dad-11d1-80b4-00c04fd430c8',
    subscriberId: 'imsi-001010000012345',
    trafficClass: 'voice',
    protocol: '2pc',
    cells: ['cell-17'],
    status: 'PENDING',
    txnState: 'PENDING',
    revision: 0,
    updatedAtMs: 0,
  };
}

/** Starts a private redis (and postgres: the local provider starts both); returns what to stop. */
async function casTasks(bench: Bench): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'rig-micro-'));
  const env = await startLocal({ dir });
  const redis = connectRedis({ url: redisUrl(env.redis), keyPrefix: '', commandTimeoutMs: 5000 });
  // The services' client fails fast instead of queueing while it connects, so wait for it to be ready.
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  const store = new RedisStore(redis, 'bench');
  await store.cas(0, 1, record('ses-bench'));
  let version = 1;
  bench.add('redis PING round trip (the floor of any Redis call)', async () => {
    await redis.ping();
  });
  bench.add('DSM CAS round trip (cas-3.lua, next version)', async () => {
    version = await store.cas(version, 1, record('ses-bench'));
  });
  bench.add('DSM read (HGETALL + JSON.parse)', async () => {
    await store.read('ses-bench');
  });
  return async () => {
    redis.disconnect();
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

function report(bench: Bench): void {
  const us = (ms: number) => (ms * 1000).toFixed(1).padStart(9);
  console.log(
    `${'task'.padEnd(56)} ${'ops/s'.padStart(10)} ${'mean µs'.padStart(9)} ${'p50 µs'.padStart(9)} ${'p99 µs'.padStart(9)}  samples`,
  );
  for (const task of bench.tasks) {
    const r = task.result;
    if (!('latency' in r)) {
      console.log(`${task.name.padEnd(56)} ${r.state}`);
      continue;
    }
    const opsPerS = Math.round(1000 / r.latency.mean);
    console.log(
      `${task.name.padEnd(56)} ${String(opsPerS).padStart(10)} ${us(r.latency.mean)} ${us(r.latency.p50)} ${us(r.latency.p99)}  ${r.latency.samplesCount}`,
    );
  }
}

async function main(): Promise<number> {
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(500, timeMs), throws: true });
  signingTasks(bench);
  schedulerTasks(bench);
  const stop = await casTasks(bench);
  try {
    await bench.run();
  } finally {
    await stop();
  }
  console.log(`node ${process.version}; ${timeMs} ms per task\n`);
  report(bench);
  if (args['skip-checkers']) return 0;
  console.log('\ncheckers (bench/checkers.ts):');
  const checkers = fileURLToPath(new URL('./checkers.ts', import.meta.url));
  const sizes = args.sizes ? ['--sizes', args.sizes] : [];
  const r = spawnSync(process.execPath, ['--import', 'tsx', checkers, ...sizes], { stdio: 'inherit' });
  return r.status ?? 2;
}

process.exitCode = await main();
