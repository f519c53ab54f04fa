// Benchmark (not a test): what the built-in proxy costs with no toxics. Small HTTP requests to a Node http server,
// direct and through the proxy, in the same run, in alternating rounds:
//   - throughput: autocannon, `connections` keep-alive connections, requests/s and its latency percentiles (whole ms);
//   - latency: one keep-alive connection, requests one after another, timed with performance.now() (µs precision).
// The HTTP server and the proxy each run in their own process, as they do in a rig run; this process drives. When
// socat is installed, a third target goes through it: a native (C) proxy doing the same hop, for reference.
//
//   npm run bench:proxy [-- --duration 3 --connections 10 --rounds 5 --probes 1000]
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Toxiproxy } from 'toxiproxy-node-client';
import { freePort } from '../harness/net/ports.ts';
import { startProxyServer } from '../harness/proxy/server.ts';

// autocannon ships no types; this is the slice of its result that the benchmark reads.
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (options: { url: string; duration: number; connections: number }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const role = process.argv[2];

/** Child roles: report a port over IPC, answer CPU-time questions, serve until killed. */
async function runChild(): Promise<void> {
  if (role === 'server') {
    const body = Buffer.from('ok');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
      res.end(body);
    });
    server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
  } else {
    const proxy = await startProxyServer({ seed: 1 });
    process.send?.({ port: proxy.port });
  }
  process.on('message', () => {
    const used = process.cpuUsage();
    process.send?.({ cpuMicros: used.user + used.system });
  });
}

function cpuMicros(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve((m as { cpuMicros: number }).cpuMicros));
    child.send('cpu');
  });
}

function spawnRole(name: 'server' | 'proxy'): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(import.meta.filename, [name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`the ${name} process exited early (code ${code})`)));
  });
}

/** socat forwarding a free port to `upstreamPort`, in its own process group (it forks per connection). */
async function startSocat(upstreamPort: number): Promise<{ child: ChildProcess; port: number } | undefined> {
  if (spawnSync('socat', ['-V']).error) return undefined;
  const port = await freePort();
  const child = spawn(
    'socat',
    [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr,nodelay`, `TCP:127.0.0.1:${upstreamPort},nodelay`],
    { stdio: 'ignore', detached: true },
  );
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => resolve(res.resume() !== undefined));
      req.once('error', () => resolve(false));
      req.end();
    });
    if (up) return { child, port };
    await new Promise((r) => setTimeout(r, 50));
  }
  killGroup(child);
  return undefined;
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

interface Throughput {
  requestsPerSec: number;
  total: number;
  p50Ms: number;
  p99Ms: number;
}

async function throughput(port: number, seconds: number, connections: number): Promise<Throughput> {
  const result = await autocannon({ url: `http://127.0.0.1:${port}/`, duration: seconds, connections });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`port ${port}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  }
  return {
    requestsPerSec: result.requests.average,
    total: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

/** `count` requests one after another on one keep-alive connection; returns each one's milliseconds. */
async function probe(port: number, count: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume();
        res.once('end', () => resolve());
      });
      req.once('error', reject);
      req.end();
    });
    times.push(performance.now() - start);
  }
  agent.destroy();
  return times;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

interface Target {
  name: string;
  port: number;
  rps: number[];
  acP50: number[];
  acP99: number[];
  probes: number[];
  /** Requests served and CPU µs the proxy process spent meanwhile. */
  requests: number;
  proxyCpuMicros: number;
}

interface RunShape {
  seconds: number;
  connections: number;
  rounds: number;
  probes: number;
}

function readOptions(): RunShape {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      duration: { type: 'string', default: '3' },
      connections: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '5' },
      probes: { type: 'string', default: '1000' },
    },
  });
  const shape = {
    seconds: Number(values.duration),
    connections: Number(values.connections),
    rounds: Number(values.rounds),
    probes: Number(values.probes),
  };
  for (const [flag, value] of Object.entries(shape)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${flag} must be a whole number >= 1, got ${value}`);
  }
  return shape;
}

// Rounds run the targets back to back, so a load spike from elsewhere on the machine hits them alike; the report
// gives the medians of the rounds, and of each round's ratio to direct.
async function measure(targets: Target[], proxyProc: ChildProcess, run: RunShape): Promise<void> {
  for (const t of targets) await throughput(t.port, 1, run.connections); // warm-up (JIT, sockets)
  for (let round = 1; round <= run.rounds; round++) {
    for (const t of targets) {
      const cpuBefore = await cpuMicros(proxyProc);
      const result = await throughput(t.port, run.seconds, run.connections);
      t.proxyCpuMicros += (await cpuMicros(proxyProc)) - cpuBefore;
      t.requests += result.total;
      t.rps.push(result.requestsPerSec);
      t.acP50.push(result.p50Ms);
      t.acP99.push(result.p99Ms);
      t.probes.push(...(await probe(t.port, run.probes)));
    }
    console.log(`round ${round}: ${targets.map((t) => `${t.name} ${Math.round(t.rps.at(-1) ?? 0)} req/s`).join(', ')}`);
  }
}

async function main(): Promise<void> {
  const run = readOptions();
  const loadBefore = loadavg()[0] ?? 0;
  const server = await spawnRole('server');
  const proxyProc = await spawnRole('proxy');
  const socat = await startSocat(server.port);
  try {
    const toxiproxy = new Toxiproxy(`http://127.0.0.1:${proxyProc.port}`);
    const proxy = await toxiproxy.createProxy({
      name: 'bench',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${server.port}`,
    });
    const target = (name: string, port: number): Target => ({
      name,
      port,
      rps: [],
      acP50: [],
      acP99: [],
      probes: [],
      requests: 0,
      proxyCpuMicros: 0,
    });
    const targets = [target('direct', server.port), target('proxied', Number(proxy.listen.split(':').pop()))];
    if (socat) targets.push(target('socat', socat.port));
    await measure(targets, proxyProc.child, run);
    report(targets, run, loadBefore);
  } finally {
    server.child.kill('SIGTERM');
    proxyProc.child.kill('SIGTERM');
    if (socat) killGroup(socat.child);
  }
}

function report(targets: Target[], run: RunShape, loadBefore: number): void {
  console.log(
    `\nsmall HTTP GETs: ${run.connections} connections x ${run.seconds} s x ${run.rounds} rounds, ${run.probes} sequential probes per round; ${availableParallelism()} cores, load average ${loadBefore.toFixed(1)} before`,
  );
  console.log('target    req/s (median)   vs direct   autocannon p50/p99 (ms)   sequential p50/p99 (ms)');
  const direct = targets[0]!;
  const directP50 = quantile(
    [...direct.probes].sort((a, b) => a - b),
    0.5,
  );
  for (const t of targets) {
    const sorted = [...t.probes].sort((a, b) => a - b);
    const ratio = median(t.rps.map((rps, i) => rps / (direct.rps[i] ?? Number.NaN)));
    const cells = [
      t.name.padEnd(8),
      Math.round(median(t.rps)).toString().padStart(14),
      `${(ratio * 100).toFixed(1)}%`.padStart(9),
      `${median(t.acP50).toFixed(1).padStart(10)} / ${median(t.acP99).toFixed(1).padEnd(10)}`,
      `${quantile(sorted, 0.5).toFixed(3)} / ${quantile(sorted, 0.99).toFixed(3)}`,
    ];
    console.log(cells.join('   '));
  }
  const proxied = targets[1]!;
  const addedMs =
    quantile(
      [...proxied.probes].sort((a, b) => a - b),
      0.5,
    ) - directP50;
  const ratio = median(proxied.rps.map((rps, i) => rps / (direct.rps[i] ?? Number.NaN)));
  console.log(`\nthroughput proxied/direct, median of rounds: ${(ratio * 100).toFixed(1)}% (aim: at least 80%)`);
  console.log(`added median latency: ${(addedMs * 1000).toFixed(0)} µs (aim: under 200 µs)`);
  const perRequest = proxied.proxyCpuMicros / proxied.requests;
  console.log(`proxy process CPU per proxied request: ${perRequest.toFixed(1)} µs (both directions)`);
}

if (role === 'server' || role === 'proxy') await runChild();
else await main();
