// The routes of a service, and the one way a request reaches them: match the route, verify the signature before any
// handler runs on signed routes, run the fault hook, call the handler, map typed errors to statuses, count it. No
// socket here: the HTTP server and the channel server (http-server.ts) deliver requests through createDispatcher, and
// a simulated network can deliver them the same way. Time is read on the injected Clock only.
import type { IncomingHttpHeaders } from 'node:http';
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
  headers: IncomingHttpHeaders;
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
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path pattern with `:name` segments, e.g. `/v1/txn/:txnId/prepare`. */
  pattern: string;
  /** Signed routes are verified before the handler runs; unsigned ones are public (health, metrics, edge API). */
  signed: boolean;
  handler: Handler;
}

export interface DispatchOptions {
  routes: Route[];
  clock: Clock;
  logger: Logger;
  metrics: HttpMetrics;
  verifier?: Verifier;
  /** Runs before a matched handler (fault injection: added latency, crash points). */
  beforeHandle?: (route: Route, ctx: RequestContext) => Promise<void> | void;
}

/**
 * Answers one request, whichever transport brought it; every error becomes a reply. `readRaw` gives the raw body,
 * and is called only once a route matched (a transport enforces its body limit in it).
 */
export type Dispatch = (
  method: string,
  rawUrl: string,
  headers: IncomingHttpHeaders,
  readRaw: () => Promise<Buffer>,
) => Promise<Reply>;

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

export function createDispatcher(opts: DispatchOptions): Dispatch {
  const compiled = opts.routes.map(compile);
  return (method, rawUrl, headers, readRaw) => {
    const started = opts.clock.monotonicMs();
    const url = new URL(rawUrl, 'http://internal');
    let endpoint = 'unmatched';
    return (async (): Promise<Reply> => {
      const match = compiled.find((c) => c.route.method === method && c.regex.test(url.pathname));
      if (!match) {
        const allowed = compiled.some((c) => c.regex.test(url.pathname));
        throw new ServiceError(allowed ? 'bad_request' : 'not_found', `no route for ${method} ${url.pathname}`);
      }
      endpoint = match.route.pattern;
      const raw = await readRaw();
      const groups = match.regex.exec(url.pathname)!;
      const params = Object.fromEntries(match.names.map((n, i) => [n, decodeURIComponent(groups[i + 1]!)]));
      const ctx: RequestContext = {
        method,
        path: url.pathname,
        params,
        query: url.searchParams,
        headers,
        body: undefined,
      };
      if (match.route.signed) {
        if (!opts.verifier) throw new Error(`route ${match.route.pattern} is signed but the server has no verifier`);
        try {
          ctx.signedBy = opts.verifier.verify(method, url.pathname + url.search, headers, raw, opts.clock.wallMs());
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
      .catch((err: unknown): Reply => {
        if (isServiceError(err)) return { status: err.status, body: err.toBody(), headers: retryAfter(err) };
        opts.logger.error('unhandled error', { endpoint, error: (err as Error).stack ?? String(err) });
        return { status: 500, body: { code: 'internal', message: 'internal error' } };
      })
      .then((reply) => {
        const labels = { endpoint, method, status: String(reply.status) };
        opts.metrics.requests.inc(labels);
        opts.metrics.latency.observe(labels, (opts.clock.monotonicMs() - started) / 1000);
        return reply;
      });
  };
}

function retryAfter(err: ServiceError): Record<string, string> | undefined {
  const ms = err.details.retryAfterMs;
  return typeof ms === 'number' ? { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) } : undefined;
}
