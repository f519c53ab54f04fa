// Real adapter: the server in front of the routes; it times requests with performance.now() for the metrics.
// A small JSON HTTP server: routes by method and pattern, bounded bodies, signature verification before any
// handler runs on signed routes, typed errors mapped to statuses in one place, and metrics per route. The same
// routes are served on connections upgraded to frames (channel.ts), through the same pipeline.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { channelPath, channelProtocol, LineReader, LineWriter, parseRequestFrame } from './channel.ts';
import type { Clock } from './clock.ts';
import { bodyMaxBytes } from './contract.ts';
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
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
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

/** Answers one request, whichever transport brought it; every error becomes a reply. */
type Dispatch = (
  method: string,
  rawUrl: string,
  headers: IncomingMessage['headers'],
  readRaw: () => Promise<Buffer>,
) => Promise<Reply>;

function dispatcher(opts: ServerOptions): Dispatch {
  const compiled = opts.routes.map(compile);
  return (method, rawUrl, headers, readRaw) => {
    const started = performance.now();
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
        opts.metrics.latency.observe(labels, (performance.now() - started) / 1000);
        return reply;
      });
  };
}

/** The upgraded connections of each server (channel.ts), closed with it. */
const channelsOf = new WeakMap<Server, Set<Socket>>();

/** Serves request frames on connections upgraded to the channel protocol (channel.ts), through `dispatch`. */
function acceptChannels(server: Server, dispatch: Dispatch): void {
  const channels = new Set<Socket>();
  channelsOf.set(server, channels);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (req.url !== channelPath || req.headers.upgrade !== channelProtocol) {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    channels.add(socket);
    socket.on('close', () => channels.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${channelProtocol}\r\n\r\n`);
    const writer = new LineWriter(socket);
    // A frame holds the body as a JSON string (escaping can double it) and the headers.
    const reader = new LineReader(2 * bodyMaxBytes + 16 * 1024, (line) => {
      const frame = parseRequestFrame(line);
      if (!frame) throw new Error('a request frame that does not parse');
      const headers: IncomingMessage['headers'] = {};
      for (const [k, v] of Object.entries(frame.headers)) headers[k.toLowerCase()] = v;
      const readRaw = async () => {
        const raw = Buffer.from(frame.body, 'utf8');
        if (raw.length > bodyMaxBytes)
          throw new ServiceError('bad_request', `body is larger than ${bodyMaxBytes} bytes`);
        return raw;
      };
      void dispatch(frame.method, frame.path, headers, readRaw).then((reply) => {
        const body = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
        writer.write(JSON.stringify({ id: frame.id, status: reply.status, headers: reply.headers, body }));
      });
    });
    const take = (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch {
        // A stream that does not frame cannot be trusted for anything after it.
        socket.destroy();
      }
    };
    socket.on('data', take);
    if (head.length > 0) take(head);
  });
}

export function createJsonServer(opts: ServerOptions): Server {
  const dispatch = dispatcher(opts);
  const server = createServer((req, res) => {
    void dispatch(req.method ?? 'GET', req.url ?? '/', req.headers, () => readBody(req, bodyMaxBytes)).then((reply) =>
      send(res, reply),
    );
  });
  server.keepAliveTimeout = 65_000;
  acceptChannels(server, dispatch);
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

/** Closes the listener and every idle or active connection, channels included. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
    for (const socket of channelsOf.get(server) ?? []) socket.destroy();
  });
}
