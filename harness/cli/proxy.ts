// `rig proxy`: the built-in Toxiproxy-compatible fault proxy on its own, until Ctrl-C or SIGTERM.
import { freshSeed } from '../../lib/rng.ts';
import { startProxyServer } from '../proxy/server.ts';
import { type Command, intOption, UsageError } from './command.ts';

const defaultPort = 8474;

/** Resolves on the first SIGINT or SIGTERM; a second one while closing exits at once. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const signals = ['SIGINT', 'SIGTERM'] as const;
    const first = (signal: NodeJS.Signals) => {
      for (const s of signals) process.off(s, first);
      for (const s of signals) process.once(s, () => process.exit(130));
      resolve(signal);
    };
    for (const s of signals) process.on(s, first);
  });
}

export const proxy: Command = {
  name: 'proxy',
  summary: 'run the built-in Toxiproxy-compatible fault proxy (Toxiproxy 2.x HTTP API) until Ctrl-C',
  usage: [
    `rig proxy [--host 127.0.0.1] [--port ${defaultPort}] [--seed N]`,
    '',
    'Serves the Toxiproxy 2.x HTTP API (GET /version, /proxies, /populate, /reset, toxics) on --host:--port;',
    'any Toxiproxy client (toxiproxy-node-client, toxiproxy-cli) can drive it. --port 0 picks a free port.',
    '--seed fixes jitter, slicer and toxicity rolls; without it a fresh seed is printed.',
    'Ctrl-C or SIGTERM closes every proxy and connection and exits 0. See docs/proxy.md.',
  ].join('\n'),
  options: { host: { type: 'string' }, port: { type: 'string' }, seed: { type: 'string' } },
  async run(values) {
    const port = intOption(values.port, 'port', 0, 65535, defaultPort);
    const seed = intOption(values.seed, 'seed', 0, Number.MAX_SAFE_INTEGER, freshSeed());
    const host = values.host ?? '127.0.0.1';
    if (typeof host !== 'string' || host === '') {
      throw new UsageError('--host must be an interface address, e.g. 127.0.0.1 or 0.0.0.0');
    }
    let server: Awaited<ReturnType<typeof startProxyServer>>;
    try {
      server = await startProxyServer({ host, port, seed });
    } catch (err) {
      console.error(`rig proxy: ${(err as Error).message}`);
      return 2;
    }
    const signal = untilSignal();
    console.log(`rig proxy: Toxiproxy API ${server.version} at ${server.url} (seed ${seed})`);
    console.log(`rig proxy: same randomness again with: rig proxy --port ${server.port} --seed ${seed}`);
    const received = await signal;
    await server.close();
    console.log(`rig proxy: ${received}: closed every proxy and connection`);
    return 0;
  },
};
