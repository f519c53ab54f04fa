// A small JSON HTTP server: routes by method and pattern, bounded bodies, signature verification before any
// handler runs on signed routes, typed errors mapped to statuses in one place, and metrics per route.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Clock } from './clock.ts';
import { isServiceError, ServiceError } from './errors.ts';
import type { Logger } from './log.ts';
import type { HttpMetrics } from './metrics.ts';
import type { Verifier } from './signing.ts';

export interface RequestContext {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body (undefined when empty). */
  body: unknown;
  /** The key id that signed the request, on signed routes. */
  signedBy?: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text body (e.g. Prometheus exposition) instead of JSON. */
  text?: string;
}

export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path pattern with `:name` segments, e.g. `/v1/txn/:txnId/prepare`. */
  pattern: string;
  /** Signed routes are verified before the handler runs; unsigned ones are public (health, metrics, edge API). */
  signed: boolean;
  handler: Handler;
}

export interface ServerOptions {
  routes: Route[];
  clock: Clock;
  logger: Logger;
  metrics: HttpMetrics;
  verifier?: Verifier;
  bodyMaxBytes?: number;
  /** Runs before a matched handler (fault injection: added latency, crash points). */
  beforeHandle?: (route: Route, ctx: RequestContext) => Promise<void> | void;
}

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.pattern
    .split('/')
    .map((seg) => {
      if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(seg.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { route, regex: new RegExp(`^${source}$`), names };
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new ServiceError('bad_request', `body is larger than ${maxBytes} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const payload = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  res.writeHead(reply.status, {
    'content-type': reply.text === undefined ? 'application/json' : 'text/plain; version=0.0.4',
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
  });
  res.end(payload);
}

export function createJsonServer(opts: ServerOptions): Server {
  const compiled = opts.routes.map(compile);
  const bodyMaxBytes = opts.bodyMaxBytes ?? 64 * 1024;
  const server = createServer((req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://internal');
    const method = req.method ?? 'GET';
    let endpoint = 'unmatched';
    const finish = (reply: Reply) => {
      send(res, reply);
      const labels = { endpoint, method, status: String(reply.status) };
      opts.metrics.requests.inc(labels);
      opts.metrics.latency.observe(labels, (performance.now() - started) / 1000);
    };
    void (async () => {
      const match = compiled.find((c) => c.route.method === method && c.regex.test(url.pathname));
      if (!match) {
        const allowed = compiled.some((c) => c.regex.test(url.pathname));
        throw new ServiceError(allowed ? 'bad_request' : 'not_found', `no route for ${method} ${url.pathname}`);
      }
      endpoint = match.route.pattern;
      const raw = await readBody(req, bodyMaxBytes);
      const groups = match.regex.exec(url.pathname)!;
      const params = Object.fromEntries(match.names.map((n, i) => [n, decodeURIComponent(groups[i + 1]!)]));
      const ctx: RequestContext = {
        method,
        path: url.pathname,
        params,
        query: url.searchParams,
        headers: req.headers,
        body: undefined,
      };
      if (match.route.signed) {
        if (!opts.verifier) throw new Error(`route ${match.route.pattern} is signed but the server has no verifier`);
        try {
          ctx.signedBy = opts.verifier.verify(method, url.pathname + url.search, req.headers, raw, opts.clock.wallMs());
        } catch (err) {
          if (isServiceError(err)) opts.metrics.rejected.inc({ reason: err.code });
          throw err;
        }
      }
      if (raw.length > 0) {
        try {
          ctx.body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new ServiceError('bad_request', 'body is not valid JSON');
        }
      }
      await opts.beforeHandle?.(match.route, ctx);
      return match.route.handler(ctx);
    })()
      .then(finish)
      .catch((err: unknown) => {
        if (isServiceError(err)) return finish({ status: err.status, body: err.toBody(), headers: retryAfter(err) });
        opts.logger.error('unhandled error', { endpoint, error: (err as Error).stack ?? String(err) });
        finish({ status: 500, body: { code: 'internal', message: 'internal error' } });
      });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

function retryAfter(err: ServiceError): Record<string, string> | undefined {
  const ms = err.details.retryAfterMs;
  return typeof ms === 'number' ? { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) } : undefined;
}

/** Listens and resolves with the bound port. */
export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Closes the listener and every idle or active connection. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
