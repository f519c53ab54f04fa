// Open-loop load at a fixed rate, for the latency at half the best load. autocannon's rate limit lets each
// connection send its whole per-second quota back to back at the top of every second, so "half the load" would
// arrive as bursts of full concurrency; here request i is due at start + i/rate, evenly spaced, whether or not
// earlier ones have answered, and its latency is counted from when it was due (no coordinated omission).
import { Agent, request } from 'node:http';
import type { LevelFigures, Protocol } from './figures.ts';
import { sessionBody } from './load.ts';
import type { RequestCounter } from './requests.ts';
import { LevelTally } from './tally.ts';

export interface PacedOptions {
  gatewayUrl: string;
  protocol: Protocol;
  ratePerS: number;
  durationS: number;
  /** Sockets kept open to the gateway (the best level's concurrency). */
  connections: number;
  counter: RequestCounter;
  /** Requests in flight at most; a due request beyond it is skipped and counted (the system fell behind). */
  inFlightMax: number;
  onStart?: (stop: () => void) => void;
}

const requestTimeoutMs = 30_000;

function post(agent: Agent, url: URL, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: requestTimeoutMs,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve(err.message === 'timeout' ? -1 : 0));
    req.end(body);
  });
}

export async function drivePaced(o: PacedOptions): Promise<LevelFigures> {
  // Extra sockets beyond `connections` would only open when requests queue: that is the latency we want to see.
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections });
  const url = new URL('/v1/sessions', o.gatewayUrl);
  const tally = new LevelTally();
  let inFlight = 0;
  let stopped = false;
  o.onStart?.(() => {
    stopped = true;
  });
  const intervalMs = 1000 / o.ratePerS;
  const total = Math.floor(o.ratePerS * o.durationS);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total && !stopped; i++) {
    const dueMs = started + i * intervalMs;
    const waitMs = dueMs - performance.now();
    if (waitMs > 1) await new Promise((r) => setTimeout(r, waitMs));
    if (inFlight >= o.inFlightMax) {
      tally.fail('skipped');
      continue;
    }
    inFlight++;
    const body = sessionBody(o.counter.next(), o.protocol);
    pending.push(
      post(agent, url, body).then((status) => {
        inFlight--;
        if (status === 201) tally.ok(performance.now() - dueMs);
        else if (status === -1) tally.timeout();
        else if (status === 0) tally.error();
        else tally.fail(String(status));
      }),
    );
  }
  await Promise.all(pending);
  agent.destroy();
  return tally.finish(o.connections, o.ratePerS);
}
