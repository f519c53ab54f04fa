// Signed JSON calls to another service, over keep-alive connections, with a deadline on every call.
// Failures are classified the Jepsen way: a refused connection means the request was certainly not delivered
// (definite); a timeout or a reset after sending means it may have been processed (indeterminate).
import { Agent, request } from 'node:http';
import type { Clock } from './clock.ts';
import { ServiceError } from './errors.ts';
import { type KeyRing, signRequest } from './signing.ts';

export interface PeerReply<T = unknown> {
  status: number;
  body: T;
}

export interface CallOptions {
  timeoutMs: number;
  /** Extra headers (e.g. Idempotency-Key). */
  headers?: Record<string, string>;
  /** Abandons the call: it fails as indeterminate (`abandoned`), since the request may have been delivered. */
  signal?: AbortSignal;
}

const definiteCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export class Peer {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(
    readonly name: string,
    baseUrl: string,
    private readonly ring: KeyRing | undefined,
    private readonly clock: Clock,
    maxSockets = 256,
  ) {
    this.url = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 1000 });
  }

  /** Sends a request; resolves with any HTTP status, rejects only when no answer came (a typed ServiceError). */
  call<T = unknown>(method: string, path: string, body: unknown, opts: CallOptions): Promise<PeerReply<T>> {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
      ...opts.headers,
      ...(this.ring ? signRequest(this.ring, method, path, payload, this.clock.wallMs()) : {}),
    };
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          headers,
          agent: this.agent,
          timeout: opts.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(this.failure(err, false)));
          res.on('end', () => {
            clearTimeout(deadline);
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text for the error message
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
        },
      );
      // A whole-call deadline (the socket timeout alone resets on every byte).
      const deadline = setTimeout(
        () => req.destroy(Object.assign(new Error('deadline'), { code: 'ETIMEDOUT' })),
        opts.timeoutMs,
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('socket timeout'), { code: 'ETIMEDOUT' })));
      const abandon = () => req.destroy(Object.assign(new Error('abandoned'), { code: 'EABANDONED' }));
      opts.signal?.addEventListener('abort', abandon, { once: true });
      req.on('close', () => opts.signal?.removeEventListener('abort', abandon));
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(deadline);
        reject(this.failure(err, definiteCodes.has(err.code ?? '')));
      });
      if (opts.signal?.aborted) abandon();
      req.end(payload);
    });
  }

  private failure(err: NodeJS.ErrnoException, definite: boolean): ServiceError {
    const code = err.code === 'ETIMEDOUT' ? 'timeout' : 'unavailable';
    return new ServiceError(code, `${this.name}: ${err.code ?? err.message}`, { peer: this.name }, definite);
  }

  close(): void {
    this.agent.destroy();
  }
}
