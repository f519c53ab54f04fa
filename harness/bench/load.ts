// Closed-loop load on the gateway with autocannon: `concurrency` keep-alive connections, each sending the next
// request as soon as its previous answer arrives, for `durationS`. Every request gets its own body (its own
// subscriber) through autocannon's setupRequest. Each response's time is recorded by us, from the client's
// 'response' event, into our own HDR histogram (µs); autocannon's own histogram is whole milliseconds.
import { createRequire } from 'node:module';
import type { LevelFigures, Protocol } from './figures.ts';
import { type RequestCounter, sessionSpec } from './requests.ts';
import { LevelTally } from './tally.ts';

// autocannon ships no types: the slice of its API this module uses.
interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}
interface AutocannonClient {
  on(event: 'response', fn: (status: number, bytes: number, elapsedMs: number) => void): void;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  /** Seconds before an unanswered request counts as a timeout. */
  timeout: number;
  requests: Array<AutocannonRequest & { setupRequest?: (req: AutocannonRequest) => AutocannonRequest }>;
  setupClient: (client: AutocannonClient) => void;
}
interface AutocannonResult {
  errors: number;
  timeouts: number;
}
interface AutocannonInstance {
  stop(): void;
}
type Autocannon = (
  opts: AutocannonOptions,
  done: (err: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** A request unanswered this long is a timeout (the system's own deadlines are shorter). */
const requestTimeoutS = 30;

export interface LoadOptions {
  gatewayUrl: string;
  protocol: Protocol;
  concurrency: number;
  durationS: number;
  counter: RequestCounter;
  /** Set while a level runs, so a shutdown can stop it at once. */
  onStart?: (stop: () => void) => void;
}

export function sessionBody(n: number, protocol: Protocol): string {
  return JSON.stringify(sessionSpec(n, protocol));
}

/** One closed-loop level against the gateway. */
export async function driveGateway(o: LoadOptions): Promise<LevelFigures> {
  const tally = new LevelTally();
  const request: AutocannonRequest = {
    method: 'POST',
    path: '/v1/sessions',
    headers: { 'content-type': 'application/json' },
  };
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.gatewayUrl,
        connections: o.concurrency,
        duration: o.durationS,
        timeout: requestTimeoutS,
        requests: [
          { ...request, setupRequest: (req) => ({ ...req, body: sessionBody(o.counter.next(), o.protocol) }) },
        ],
        setupClient: (client) =>
          client.on('response', (status, _bytes, elapsedMs) => {
            if (status === 201) tally.ok(elapsedMs);
            else tally.fail(String(status));
          }),
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    o.onStart?.(() => instance.stop());
  });
  // autocannon counts a timeout as an error too.
  tally.addErrors(result.errors - result.timeouts, result.timeouts);
  return tally.finish(o.concurrency);
}
