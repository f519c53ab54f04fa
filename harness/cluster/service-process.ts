// Starting one service of system/ as its own OS process: node + tsx, configured by environment, logging to
// logs/<node>.log. The service announces its port with an `obs: "listening"` line, which we wait for.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagedProcess, waitUntilReady } from '../process/managed.ts';

export type ServiceName = 'edge-gateway' | 'session-manager' | 'resource-manager' | 'billing';

const root = resolve(fileURLToPath(import.meta.url), '../../..');

export interface ServiceSpec {
  service: ServiceName;
  /** Unique process name, e.g. `sm-2`; also the log file name. */
  node: string;
  env: Record<string, string>;
  logDir: string;
  /** Fixed port (restarts keep their port so proxies need no change); 0 picks one. */
  port?: number;
  startDeadlineMs?: number;
}

export interface RunningService {
  spec: ServiceSpec;
  proc: ManagedProcess;
  port: number;
  url: string;
}

/** The port from the newest `listening` line in a service log (restarts append to the same log). */
function listeningPort(logPath: string, fromOffset: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(logPath, 'utf8').slice(fromOffset);
  } catch {
    return undefined;
  }
  const lines = text.split('\n').filter((l) => l.includes('"obs":"listening"'));
  const last = lines[lines.length - 1];
  if (!last) return undefined;
  try {
    return (JSON.parse(last) as { port: number }).port;
  } catch {
    return undefined;
  }
}

function logSize(path: string): number {
  try {
    return readFileSync(path).length;
  } catch {
    return 0;
  }
}

export async function startService(spec: ServiceSpec): Promise<RunningService> {
  const logPath = join(spec.logDir, `${spec.node}.log`);
  const offset = logSize(logPath);
  const proc = new ManagedProcess({
    name: spec.node,
    command: process.execPath,
    args: ['--import', 'tsx', join(root, 'system', spec.service, 'main.ts')],
    cwd: root,
    logPath,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      ...spec.env,
      RIG_NODE: spec.node,
      HOST: '127.0.0.1',
      PORT: String(spec.port ?? 0),
    },
  });
  let port: number | undefined;
  await waitUntilReady(
    proc,
    async () => {
      port = listeningPort(logPath, offset);
      return port !== undefined;
    },
    spec.startDeadlineMs ?? 30_000,
    `${spec.service} ${spec.node}`,
  );
  return { spec: { ...spec, port: port! }, proc, port: port!, url: `http://127.0.0.1:${port}` };
}
