// The process shell every service shares: configuration, clock, logger, metrics, signing, the HTTP server with
// /healthz and /metrics, and a clean stop on SIGTERM/SIGINT. A service supplies its routes and its close().
import type { Server } from 'node:http';
import { Gauge } from 'prom-client';
import { type Clock, systemClock } from './clock.ts';
import { ConfigError, Env } from './config.ts';
import type { DispatchOptions, Route } from './dispatch.ts';
import { ServiceError } from './errors.ts';
import { checkFaultSettings, Faults, parseFaultSettings } from './faults.ts';
import { closeServer, createJsonServer, listen } from './http-server.ts';
import { createLogger, type Level, type Logger } from './log.ts';
import { createHttpMetrics, type HttpMetrics } from './metrics.ts';
import { cryptoRandom, type Random } from './random.ts';
import { type KeyRing, parseKeyRing, Verifier } from './signing.ts';

export interface Runtime {
  service: string;
  node: string;
  env: Env;
  clock: Clock;
  /** Ids and nonces. */
  random: Random;
  logger: Logger;
  metrics: HttpMetrics;
  ring: KeyRing;
  verifier: Verifier;
  faults: Faults;
}

export interface ServiceParts {
  routes: Route[];
  /** Extra fields for /healthz (e.g. who leads). */
  health?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Stops background work and closes connections. */
  close(): Promise<void>;
}

/**
 * What a runtime is made of beyond its configuration: the real process's own time, randomness and stdout by
 * default; a simulation passes its virtual clock, a seeded Random and a log of its own (harness/sim/).
 */
export interface RuntimeIo {
  clock?: Clock;
  random?: Random;
  /** Where log lines go (default: stdout). */
  write?: (line: string) => void;
  /** Node's process metrics on /metrics (default: true; a simulated node is not a process). */
  processMetrics?: boolean;
  /** What an armed crash point does (default: SIGKILL of this process). */
  onCrash?: (point: string) => void;
}

export function createRuntime(service: string, env = new Env(), io: RuntimeIo = {}): Runtime {
  const clock = io.clock ?? systemClock();
  const node = env.string('RIG_NODE', service);
  const logger = createLogger(
    service,
    node,
    () => clock.wallMs(),
    env.string('RIG_LOG_LEVEL', 'info') as Level,
    io.write,
  );
  const ring = parseKeyRing(env.string('RIG_HMAC_KEYS'), env.optional('RIG_HMAC_SIGNING_KEY'));
  const verifier = new Verifier(ring, {
    windowMs: env.int('RIG_SIGNATURE_WINDOW_MS', 30_000, 1000, 3_600_000),
    nonceCacheMax: env.int('RIG_NONCE_CACHE_MAX', 200_000, 1000, 10_000_000),
  });
  const faults = new Faults(env.int('RIG_SEED', 1, 0, Number.MAX_SAFE_INTEGER), clock, io.onCrash);
  const initialFaults = env.optional('RIG_FAULTS');
  if (initialFaults) faults.replace(parseFaultSettings(initialFaults, 'RIG_FAULTS'));
  const metrics = createHttpMetrics(service, node, io.processMetrics ?? true);
  new Gauge({
    name: 'rig_fault_delayed_requests',
    help: 'Requests held right now by injected latency (/admin/faults)',
    registers: [metrics.registry],
    collect() {
      this.set(faults.delayed);
    },
  });
  const random = io.random ?? cryptoRandom;
  return { service, node, env, clock, random, logger, metrics, ring, verifier, faults };
}

/**
 * Everything a service answers, whatever brings the request: its own routes, /healthz, the signed /admin/faults and
 * /metrics, verified and fault-hooked as every service is. The HTTP server and a simulated network both serve these.
 */
export function serviceDispatch(rt: Runtime, parts: ServiceParts): DispatchOptions {
  const routes: Route[] = [
    ...parts.routes,
    {
      method: 'GET',
      pattern: '/healthz',
      signed: false,
      handler: async () => ({
        status: 200,
        body: { ok: true, service: rt.service, node: rt.node, ...(await parts.health?.()) },
      }),
    },
    ...faultRoutes(rt),
    {
      method: 'GET',
      pattern: '/metrics',
      signed: false,
      handler: async () => ({ status: 200, text: await rt.metrics.registry.metrics() }),
    },
  ];
  return {
    routes,
    clock: rt.clock,
    logger: rt.logger,
    metrics: rt.metrics,
    verifier: rt.verifier,
    beforeHandle: (route, ctx) => rt.faults.delay(route.pattern, ctx.path),
  };
}

/** Errors of a connection to a store or a peer: the clients reconnect on their own. */
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'CONNECTION_CLOSED',
  'CONNECT_TIMEOUT',
]);

/**
 * A connection error that reaches no handler is logged, and the process goes on: a client library can reject a
 * promise of its own that nobody awaits. Seen in links.int.test.ts: a leader died of an unhandled
 * `connect ECONNREFUSED` to its PostgreSQL link the moment every link was cut, right after the relay's own query
 * failed on that connection and was handled. Every other unhandled rejection still ends the process, as by default.
 */
export function survivingConnectionErrors(logger: Logger): void {
  process.on('unhandledRejection', (err) => {
    const code = (err as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && connectionCodes.has(code)) {
      logger.error('unhandled connection error', { code, error: (err as Error).message });
      return;
    }
    throw err;
  });
}

/** Starts a service process: builds it, serves it, and stops it cleanly on SIGTERM/SIGINT. */
export async function runService(service: string, build: (rt: Runtime) => Promise<ServiceParts>): Promise<void> {
  let rt: Runtime;
  let parts: ServiceParts;
  let server: Server;
  try {
    rt = createRuntime(service);
    survivingConnectionErrors(rt.logger);
    parts = await build(rt);
    server = createJsonServer(serviceDispatch(rt, parts));
    const port = await listen(server, rt.env.int('PORT', 0, 0, 65535), rt.env.string('HOST', '127.0.0.1'));
    rt.logger.observe('listening', { port });
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err));
    process.stderr.write(`${service}: could not start: ${message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    rt.logger.info('stopping', { signal });
    rt.clock.setTimeout(() => process.exit(1), 10_000, { unref: true });
    await closeServer(server).catch(() => {});
    await parts.close().catch((err: Error) => rt.logger.error('close failed', { error: err.message }));
    rt.logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** Signed /admin/faults: GET shows the settings, PUT replaces them at run time; bad values change nothing. */
function faultRoutes(rt: Runtime): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/admin/faults',
      signed: true,
      handler: () => ({ status: 200, body: rt.faults.current }),
    },
    {
      method: 'PUT',
      pattern: '/admin/faults',
      signed: true,
      handler: (ctx) => {
        let next: ReturnType<typeof checkFaultSettings>;
        try {
          next = checkFaultSettings(ctx.body, 'fault settings');
        } catch (err) {
          throw new ServiceError('bad_request', (err as Error).message);
        }
        rt.faults.replace(next);
        rt.logger.observe('faults', { settings: next });
        return { status: 200, body: rt.faults.current };
      },
    },
  ];
}
