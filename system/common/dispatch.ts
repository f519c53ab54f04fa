// The routes of a service, and the one way a request reaches them: match the route, refuse a body that is not JSON
// on routes that take JSON (415, before it is parsed), verify the signature before any handler runs on signed routes,
// run the fault hook, call the handler, map typed errors to statuses, give every 503 a Retry-After, count it. No
// socket here: the HTTP server and the channel server (http-server.ts) deliver requests through createDispatcher, and
// a simulated network can deliver them the same way. Time is read on the injected Clock only.
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from './clock.ts';
import { isServiceError, ServiceError } from './errors.ts';
import type { Logger } from './log.ts';
import { jsonContentTypeProblem, jsonMediaType } from './media-type.ts';
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
  /**
   * The route takes a JSON body: a body of another media type, or one that names none, is refused with 415
   * `unsupported_media_type` before it is parsed or reaches the handler (media-type.ts says what is accepted). A
   * request with no body and no Content-Type goes on (the handler says what is missing).
   */
  jsonBody?: boolean;
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
      const contentType = headers['content-type'];
      // A type named is judged before the body is even read; a body that names none, once it is known to be there.
      if (match.route.jsonBody && contentType !== undefined) {
        const problem = jsonContentTypeProblem(contentType);
        if (problem) return unsupportedMediaType(problem, contentType, opts.metrics);
      }
      const raw = await readRaw();
      if (match.route.jsonBody && contentType === undefined && raw.length > 0) {
        return unsupportedMediaType(jsonContentTypeProblem(undefined)!, undefined, opts.metrics);
      }
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
        if (isServiceError(err)) return { status: err.status, body: err.toBody() };
        opts.logger.error('unhandled error', { endpoint, error: (err as Error).stack ?? String(err) });
        return { status: 500, body: { code: 'internal', message: 'internal error' } };
      })
      .then((answered) => {
        const reply = withRetryAfter(answered);
        const labels = { endpoint, method, status: String(reply.status) };
        opts.metrics.requests.inc(labels);
        opts.metrics.latency.observe(labels, (opts.clock.monotonicMs() - started) / 1000);
        return reply;
      });
  };
}

/** 415: the body's media type is not JSON (`problem` says how); `Accept` names the one taken (RFC 9110 15.5.16). */
function unsupportedMediaType(
  problem: string,
  received: string | string[] | undefined,
  metrics: Pick<HttpMetrics, 'rejected'>,
): Reply {
  metrics.rejected.inc({ reason: 'unsupported_media_type' });
  return {
    status: 415,
    headers: { accept: jsonMediaType },
    body: {
      code: 'unsupported_media_type',
      message: `${problem}: send the body as JSON with Content-Type: ${jsonMediaType}`,
      received: received ?? null,
      expected: jsonMediaType,
    },
  };
}

/** When no answer says otherwise: how long a client waits before it tries a 503 again. */
const retryAfterDefaultS = 1;

/**
 * The reply with a Retry-After (RFC 9110 section 10.2.3, in whole seconds) on every 503, whatever made it (a handler's
 * reply, a thrown error, a reply passed on from another service), and on any other reply whose body names
 * `retryAfterMs`: from `retryAfterMs`, rounded up to at least 1 s, else 1 s. A Retry-After already set stays.
 */
export function withRetryAfter(reply: Reply): Reply {
  const ms = (reply.body as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  const named = typeof ms === 'number' && Number.isFinite(ms);
  if (reply.status !== 503 && !named) return reply;
  if (Object.keys(reply.headers ?? {}).some((k) => k.toLowerCase() === 'retry-after')) return reply;
  const seconds = named ? Math.max(1, Math.ceil(ms / 1000)) : retryAfterDefaultS;
  return { ...reply, headers: { ...reply.headers, 'retry-after': String(seconds) } };
}
