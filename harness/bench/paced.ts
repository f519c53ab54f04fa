// Open-loop load at a fixed rate, for the latency at half the best load. autocannon's rate limit lets each
// connection send its whole per-second quota back to back at the top of every second, so "half the load" would
// arrive as bursts of full concurrency; here request i is due at start + i/rate, evenly spaced, whether or not
// earlier ones have answered, and its latency is counted from when it was due (no coordinated omission).
import type { LevelFigures, Protocol } from './figures.ts';
import { Http1Client } from './http1.ts';
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

export async function drivePaced(o: PacedOptions): Promise<LevelFigures> {
  // No sockets beyond `connections`: requests queue for one, and that wait is latency we want to see.
  const client = new Http1Client(new URL('/v1/sessions', o.gatewayUrl), o.connections, requestTimeoutMs);
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
    const atS = (dueMs - started) / 1000;
    if (inFlight >= o.inFlightMax) {
      tally.fail('skipped', atS);
      continue;
    }
    inFlight++;
    const body = sessionBody(o.counter.next(), o.protocol);
    pending.push(
      client.post(body).then((status) => {
        inFlight--;
        if (status === 201) tally.ok(performance.now() - dueMs, atS);
        else if (status === -1) tally.timeout(atS);
        else if (status === 0) tally.error(atS);
        else tally.fail(String(status), atS);
      }),
    );
  }
  await Promise.all(pending);
  client.close();
  return tally.finish(o.connections, o.ratePerS);
}
