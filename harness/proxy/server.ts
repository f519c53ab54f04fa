// The built-in Toxiproxy-compatible server, for the harness and for `rig proxy`:
//   const server = await startProxyServer({ port: 0, seed: 42 });  // server.url -> http://127.0.0.1:<port>
//   ... drive it with toxiproxy-node-client at server.url ...
//   await server.close();                                            // every listener and connection is gone
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freshSeed, Rng } from '../../lib/rng.ts';
import { createApiHandler } from './api.ts';
import { ProxyCollection } from './collection.ts';

/** What GET /version answers: the Toxiproxy release whose API this matches, marked as ours. */
export const builtinVersion = '2.12.0+session-rig';

export interface ProxyServerOptions {
  /** Interface for the API; default 127.0.0.1. */
  host?: string;
  /** API port; 0 (the default) picks a free one. Toxiproxy's usual port is 8474. */
  port?: number;
  /** Seeds jitter, slicing and toxicity rolls; a fresh seed (see `seed` on the result) when absent. */
  seed?: number;
}

export interface ProxyServer {
  /** The API's base URL, e.g. http://127.0.0.1:8474, for toxiproxy-node-client. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly seed: number;
  readonly version: string;
  /** Closes the API, every proxy listener and every proxied connection. Safe to call twice. */
  close(): Promise<void>;
}

export async function startProxyServer(options: ProxyServerOptions = {}): Promise<ProxyServer> {
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? freshSeed();
  const rng = new Rng(seed);
  const collection = new ProxyCollection(() => rng.next());
  const http = createServer(createApiHandler(collection, builtinVersion));
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen({ host, port: options.port ?? 0 }, () => {
      http.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    const hint = err.code === 'EADDRINUSE' ? ' (in use: pick another port, or 0 for a free one)' : '';
    throw new Error(`the proxy API cannot listen on ${host}:${options.port ?? 0}: ${err.message}${hint}`);
  });
  http.on('error', (err) => process.stderr.write(`proxy API: ${err.message}\n`));
  const port = (http.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    seed,
    version: builtinVersion,
    close() {
      closing ??= (async () => {
        const apiClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeAllConnections();
        await collection.exclusive(() => collection.closeAll());
        await apiClosed;
      })();
      return closing;
    },
  };
}
