// Which Toxiproxy the harness talks to. Consumers get only a URL (and drive it with toxiproxy-node-client), so the
// same run works against any of them:
//   1. `external`: TOXIPROXY_URL is set (e.g. a Toxiproxy container); it must answer GET /version.
//   2. `toxiproxy-server`: the real binary is on PATH; started on a free loopback port, stopped with the run.
//   3. `builtin`: the Toxiproxy-compatible proxy in this folder, in this process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../net/ports.ts';
import { ManagedProcess, waitUntilReady } from '../process/managed.ts';
import { startProxyServer } from './server.ts';

export type ProxyBackendKind = 'builtin' | 'toxiproxy-server' | 'external';

export interface ProxyBackend {
  readonly kind: ProxyBackendKind;
  /** Base URL of the Toxiproxy API, e.g. http://127.0.0.1:8474. */
  readonly url: string;
  /** What GET /version answered. */
  readonly version: string;
  /** Stops what this backend started (nothing, for `external`). Always completes. */
  stop(): Promise<void>;
}

export interface ProxyBackendOptions {
  /** Seeds the proxy's randomness (jitter, toxicity) where the backend can be seeded: builtin and toxiproxy-server. */
  seed?: number;
  /** Where a started toxiproxy-server writes its log; a temporary directory when absent. */
  logDir?: string;
  /** Force a backend instead of the automatic choice. */
  kind?: ProxyBackendKind;
  startDeadlineMs?: number;
}

export interface ProxyBackendDecision {
  kind: ProxyBackendKind;
  why: string;
}

const versionProbeTimeoutMs = 3000;

/** The version reported by a `toxiproxy-server` on PATH, or undefined when there is none. */
export function toxiproxyServerVersion(): string | undefined {
  const r = spawnSync('toxiproxy-server', ['-version'], { encoding: 'utf8', timeout: 5000 });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0] || 'unknown version';
}

/** What `openProxyBackend` would pick here, and why (for `rig doctor` and run configs); starts nothing. */
export function decideProxyBackend(): ProxyBackendDecision {
  const url = process.env.TOXIPROXY_URL;
  if (url) return { kind: 'external', why: `TOXIPROXY_URL is set (${url})` };
  const version = toxiproxyServerVersion();
  if (version) return { kind: 'toxiproxy-server', why: `toxiproxy-server is on PATH (${version})` };
  return {
    kind: 'builtin',
    why: 'no TOXIPROXY_URL and no toxiproxy-server on PATH, so the built-in Toxiproxy-compatible proxy',
  };
}

/** Reads GET /version: `{"version": "2.12.0"}` from recent releases, the bare version from older ones. */
export async function fetchVersion(url: string): Promise<string> {
  const res = await fetch(`${url}/version`, { signal: AbortSignal.timeout(versionProbeTimeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}/version answered ${res.status}`);
  const text = (await res.text()).trim();
  try {
    const parsed = JSON.parse(text) as { version?: unknown };
    if (typeof parsed.version === 'string') return parsed.version;
  } catch {
    // an older server: the body is the version itself
  }
  return text;
}

export async function openProxyBackend(options: ProxyBackendOptions = {}): Promise<ProxyBackend> {
  const kind = options.kind ?? decideProxyBackend().kind;
  if (kind === 'external') return openExternal();
  if (kind === 'toxiproxy-server') return startToxiproxyServer(options);
  const server = await startProxyServer({ seed: options.seed });
  return { kind, url: server.url, version: server.version, stop: () => server.close() };
}

async function openExternal(): Promise<ProxyBackend> {
  const url = (process.env.TOXIPROXY_URL ?? '').replace(/\/+$/, '');
  if (!url) throw new Error('the external proxy backend needs TOXIPROXY_URL, e.g. http://127.0.0.1:8474');
  let version: string;
  try {
    version = await fetchVersion(url);
  } catch (err) {
    throw new Error(
      `TOXIPROXY_URL=${url} does not answer GET /version (${(err as Error).message}): start Toxiproxy there, or unset TOXIPROXY_URL to use the built-in proxy`,
    );
  }
  return { kind: 'external', url, version, stop: async () => {} };
}

async function startToxiproxyServer(options: ProxyBackendOptions): Promise<ProxyBackend> {
  const port = await freePort();
  const logDir = options.logDir ?? mkdtempSync(join(tmpdir(), 'rig-toxiproxy-'));
  const args = ['-host', '127.0.0.1', '-port', String(port)];
  if (options.seed !== undefined) args.push('-seed', String(options.seed));
  const proc = new ManagedProcess({
    name: 'toxiproxy-server',
    command: 'toxiproxy-server',
    args,
    logPath: join(logDir, 'toxiproxy-server.log'),
  });
  const url = `http://127.0.0.1:${port}`;
  let version = '';
  try {
    await waitUntilReady(
      proc,
      async () => {
        version = await fetchVersion(url);
        return true;
      },
      options.startDeadlineMs ?? 15_000,
      'toxiproxy-server',
    );
  } catch (err) {
    await proc.stop('SIGKILL', 1000);
    throw err;
  }
  return {
    kind: 'toxiproxy-server',
    url,
    version,
    stop: async () => {
      await proc.stop('SIGTERM', 5000);
    },
  };
}
