// The `local` provider: private redis-server and postgres processes on free loopback ports, data in the run dir.
import { chownSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import postgres from 'postgres';
import { portIsFree, stablePort } from '../net/ports.ts';
import { onShutdown } from '../process/lifecycle.ts';
import { ManagedProcess, waitUntilReady } from '../process/managed.ts';
import { findLocalBinaries, type LocalBinaries, postgresAccount } from './binaries.ts';
import { recreateDatabase } from './pg-admin.ts';
import {
  type Environment,
  EnvironmentConfigError,
  EnvironmentUnavailableError,
  type PostgresEndpoint,
  postgresUrl,
  type RedisEndpoint,
} from './types.ts';

export interface LocalOptions {
  /** Directory for data and logs; created if missing. */
  dir: string;
  /** Fixed ports; a free one is picked when absent. */
  redisPort?: number;
  postgresPort?: number;
  /** Redis AOF fsync policy. */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** Extra `postgres -c` settings, e.g. for tests of bad configuration. */
  postgresSettings?: Record<string, string>;
  startDeadlineMs?: number;
}

// Two-phase commit needs prepared-transaction slots: one per in-flight participant transaction.
const defaultPostgresSettings: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  max_prepared_transactions: '256',
  max_connections: '300',
  fsync: 'on',
  synchronous_commit: 'on',
  shared_buffers: '64MB',
  log_min_messages: 'warning',
};

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolvePing) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePing(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

async function postgresAnswers(endpoint: PostgresEndpoint): Promise<boolean> {
  const sql = postgres(postgresUrl(endpoint, 'postgres'), { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** True when a user other than root can reach `dir` (every ancestor has the execute bit for others). */
function traversableByOthers(dir: string): boolean {
  for (let d = dirname(resolve(dir)); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

async function choosePort(wanted: number | undefined, what: string): Promise<number> {
  if (wanted === undefined) return stablePort();
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > 65535) {
    throw new EnvironmentConfigError(`${what} port ${wanted} is not a port number (1-65535)`);
  }
  if (!(await portIsFree(wanted))) {
    throw new EnvironmentConfigError(
      `${what} port 127.0.0.1:${wanted} is already in use: stop what listens there or leave the port unset`,
    );
  }
  return wanted;
}

class LocalEnvironment implements Environment {
  readonly provider = 'local' as const;
  readonly description: string;
  readonly redis: RedisEndpoint;
  readonly postgres: PostgresEndpoint;
  private redisProc: ManagedProcess | undefined;
  private pgProc: ManagedProcess | undefined;
  private unregister: () => void = () => {};

  constructor(
    private readonly bins: LocalBinaries,
    private readonly opts: Required<Pick<LocalOptions, 'dir' | 'appendfsync' | 'startDeadlineMs'>> & LocalOptions,
    redisPort: number,
    postgresPort: number,
  ) {
    this.redis = { host: '127.0.0.1', port: redisPort, keyPrefix: '', db: 0 };
    this.postgres = { host: '127.0.0.1', port: postgresPort, user: 'postgres', password: '' };
    this.description = `local redis-server on 127.0.0.1:${redisPort}, postgres on 127.0.0.1:${postgresPort}, data in ${opts.dir}`;
  }

  get pids(): { redis?: number; postgres?: number } {
    return { redis: this.redisProc?.pid, postgres: this.pgProc?.pid };
  }

  async start(): Promise<void> {
    this.unregister = onShutdown(() => this.stop());
    try {
      await Promise.all([this.startRedis(), this.startPostgres()]);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private async startRedis(): Promise<void> {
    const dataDir = join(this.opts.dir, 'redis');
    mkdirSync(dataDir, { recursive: true });
    // AOF on so that a Redis restart (a nemesis) keeps the lease epoch, the DSM and the stream.
    // biome-ignore format: flag/value pairs read best on few lines
    const args = [
      '--port', String(this.redis.port), '--bind', '127.0.0.1', '--dir', dataDir,
      '--appendonly', 'yes', '--appendfsync', this.opts.appendfsync, '--save', '', '--daemonize', 'no',
      '--protected-mode', 'yes', '--logfile', '',
    ];
    this.redisProc = new ManagedProcess({
      name: 'redis',
      command: this.bins.redisServer,
      args,
      logPath: join(this.opts.dir, 'logs', 'redis.log'),
    });
    await waitUntilReady(this.redisProc, () => redisPing(this.redis.port), this.opts.startDeadlineMs, 'redis-server');
  }

  private async startPostgres(): Promise<void> {
    const account = process.getuid?.() === 0 ? postgresAccount() : undefined;
    if (process.getuid?.() === 0 && !account) {
      throw new EnvironmentUnavailableError(
        'running as root, and PostgreSQL refuses to run as root, but there is no "postgres" user: create one (useradd -r postgres) or run as another user',
      );
    }
    let base = this.opts.dir;
    if (account && !traversableByOthers(join(base, 'x'))) base = mkdtempSync(join(tmpdir(), 'session-rig-pg-'));
    const dataDir = join(base, 'postgres');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (account) {
      if (base !== this.opts.dir) chownSync(base, account.uid, account.gid);
      chownSync(dataDir, account.uid, account.gid);
    }
    const ids = account ? { uid: account.uid, gid: account.gid } : {};
    const initdb = new ManagedProcess({
      name: 'initdb',
      command: this.bins.initdb,
      args: ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'],
      logPath: join(this.opts.dir, 'logs', 'initdb.log'),
      ...ids,
    });
    const done = await initdb.exited;
    if (done.code !== 0) {
      throw new Error(`initdb failed (code ${done.code}); last lines of ${initdb.logPath}:\n${initdb.tail()}`);
    }
    const settings = { ...defaultPostgresSettings, ...this.opts.postgresSettings, port: String(this.postgres.port) };
    const args = ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    this.pgProc = new ManagedProcess({
      name: 'postgres',
      command: this.bins.postgres,
      args,
      logPath: join(this.opts.dir, 'logs', 'postgres.log'),
      ...ids,
    });
    await waitUntilReady(this.pgProc, () => postgresAnswers(this.postgres), this.opts.startDeadlineMs, 'postgres');
  }

  async createDatabase(logicalName: string): Promise<string> {
    await recreateDatabase(this.postgres, logicalName);
    return logicalName;
  }

  readonly restartRedis = async (): Promise<void> => {
    await this.redisProc?.stop('SIGTERM', 10_000);
    await this.startRedis();
  };

  async stop(): Promise<void> {
    this.unregister();
    const failures: string[] = [];
    // SIGINT is PostgreSQL's fast shutdown; SIGTERM makes redis flush its AOF and exit.
    const steps: Array<[ManagedProcess | undefined, NodeJS.Signals]> = [
      [this.pgProc, 'SIGINT'],
      [this.redisProc, 'SIGTERM'],
    ];
    await Promise.all(
      steps.map(async ([proc, sig]) => {
        try {
          await proc?.stop(sig, 15_000);
        } catch (err) {
          failures.push(`${proc?.name}: ${(err as Error).message}`);
        }
      }),
    );
    if (failures.length > 0) process.stderr.write(`local environment teardown: ${failures.join('; ')}\n`);
  }
}

export type LocalEnvironmentHandle = Environment & { readonly pids: { redis?: number; postgres?: number } };

export async function startLocal(options: LocalOptions): Promise<LocalEnvironmentHandle> {
  const search = findLocalBinaries();
  if (!search.found) {
    throw new EnvironmentUnavailableError(`local provider: missing ${search.missing.join(' and ')}`);
  }
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const redisPort = await choosePort(options.redisPort, 'redis');
  const postgresPort = await choosePort(options.postgresPort, 'postgres');
  const env = new LocalEnvironment(
    search.found,
    { appendfsync: 'everysec', startDeadlineMs: 30_000, ...options, dir },
    redisPort,
    postgresPort,
  );
  await env.start();
  return env;
}
