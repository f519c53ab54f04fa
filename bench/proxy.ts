// Benchmark (not a test): what the built-in proxy costs with no toxics. Small HTTP requests to a Node http server,
// direct and through the proxy, in the same run, alternating rounds:
//   - throughput: autocannon, `connections` keep-alive connections, requests/s and its latency percentiles (whole ms);
//   - latency: one keep-alive connection, requests one after another, timed with performance.now() (µs precision).
// The HTTP server and the proxy each run in their own process, as they do in a rig run; this process drives.
//
//   npm run bench:proxy [-- --duration 5 --connections 10 --rounds 2 --probes 2000]
import { type ChildProcess, fork } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { Toxiproxy } from 'toxiproxy-node-client';
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

/** Child roles: report a port over IPC, then serve until killed. */
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
  // The driver asks for this process's CPU time (µs) around each proxied round.
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

interface Totals {
  /** Requests served and CPU µs the proxy process spent meanwhile (proxied rounds only). */
  requests: number;
  proxyCpuMicros: number;
  rps: number[];
  acP50: number[];
  acP99: number[];
  probes: number[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      duration: { type: 'string', default: '5' },
      connections: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '2' },
      probes: { type: 'string', default: '2000' },
    },
  });
  const [seconds, connections, rounds, probes] = [
    values.duration,
    values.connections,
    values.rounds,
    values.probes,
  ].map(Number) as [number, number, number, number];
  const server = await spawnRole('server');
  const proxyProc = await spawnRole('proxy');
  try {
    const toxiproxy = new Toxiproxy(`http://127.0.0.1:${proxyProc.port}`);
    const proxy = await toxiproxy.createProxy({
      name: 'bench',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${server.port}`,
    });
    const targets = { direct: server.port, proxied: Number(proxy.listen.split(':').pop()) };
    const totals: Record<keyof typeof targets, Totals> = {
      direct: { requests: 0, proxyCpuMicros: 0, rps: [], acP50: [], acP99: [], probes: [] },
      proxied: { requests: 0, proxyCpuMicros: 0, rps: [], acP50: [], acP99: [], probes: [] },
    };
    for (const port of Object.values(targets)) await throughput(port, 1, connections); // warm-up (JIT, sockets)
    for (let round = 1; round <= rounds; round++) {
      for (const [name, port] of Object.entries(targets) as Array<[keyof typeof targets, number]>) {
        const cpuBefore = await cpuMicros(proxyProc.child);
        const t = await throughput(port, seconds, connections);
        totals[name].proxyCpuMicros += (await cpuMicros(proxyProc.child)) - cpuBefore;
        totals[name].requests += t.total;
        totals[name].rps.push(t.requestsPerSec);
        totals[name].acP50.push(t.p50Ms);
        totals[name].acP99.push(t.p99Ms);
        totals[name].probes.push(...(await probe(port, probes)));
        console.log(`round ${round} ${name.padEnd(7)} ${Math.round(t.requestsPerSec)} req/s`);
      }
    }
    report(totals, { seconds, connections, rounds, probes });
  } finally {
    server.child.kill('SIGTERM');
    proxyProc.child.kill('SIGTERM');
  }
}

function report(totals: Record<'direct' | 'proxied', Totals>, run: Record<string, number>): void {
  const row = (name: 'direct' | 'proxied') => {
    const t = totals[name];
    const sorted = [...t.probes].sort((a, b) => a - b);
    return {
      name,
      rps: mean(t.rps),
      acP50: mean(t.acP50),
      acP99: mean(t.acP99),
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
    };
  };
  const direct = row('direct');
  const proxied = row('proxied');
  console.log(
    `\nsmall HTTP GETs, ${run.connections} connections x ${run.seconds} s x ${run.rounds} rounds; ${run.probes} sequential probes per round`,
  );
  console.log('target    req/s     autocannon p50/p99 (ms)   sequential p50/p99 (ms)');
  for (const r of [direct, proxied]) {
    console.log(
      `${r.name.padEnd(8)}  ${Math.round(r.rps).toString().padStart(7)}   ${r.acP50.toFixed(1).padStart(6)} / ${r.acP99.toFixed(1).padEnd(12)}   ${r.p50.toFixed(3)} / ${r.p99.toFixed(3)}`,
    );
  }
  const ratio = proxied.rps / direct.rps;
  const addedMs = proxied.p50 - direct.p50;
  console.log(`\nthroughput ratio proxied/direct: ${(ratio * 100).toFixed(1)}% (aim: at least 80%)`);
  console.log(`added median latency: ${(addedMs * 1000).toFixed(0)} µs (aim: under 200 µs)`);
  const perRequest = totals.proxied.proxyCpuMicros / totals.proxied.requests;
  console.log(
    `proxy CPU per proxied request: ${perRequest.toFixed(1)} µs (both directions, all processes share the cores)`,
  );
}

if (role === 'server' || role === 'proxy') await runChild();
else await main();
