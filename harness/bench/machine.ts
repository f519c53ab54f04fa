// Where and on what a benchmark ran: figures from different machines, loads or versions are not comparable, so
// bench.json carries the machine, the load around the run, and the versions of everything measured.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, loadavg, release, totalmem, type } from 'node:os';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import type { Environment } from '../env/types.ts';
import { postgresUrl, redisUrl } from '../env/types.ts';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  os: { type: string; release: string; arch: string };
  /** 1, 5 and 15 minute load averages (uptime), when the run started and when it ended. */
  loadAverage: { start: number[]; end?: number[] };
}

export interface Versions {
  node: string;
  postgres: string;
  redis: string;
  rig: string;
  /** The commit measured, with `-dirty` when the tree had changes; unknown outside a git checkout. */
  commit: string;
}

const rounded = () => loadavg().map((l) => Math.round(l * 100) / 100);

export function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    os: { type: type(), release: release(), arch: arch() },
    loadAverage: { start: rounded() },
  };
}

export function endLoad(m: Machine): void {
  m.loadAverage.end = rounded();
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

async function postgresVersion(env: Environment): Promise<string> {
  const sql = postgres(postgresUrl(env.postgres, 'postgres'), { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    const [row] = await sql`SHOW server_version`;
    return String(row?.server_version ?? 'unknown');
  } finally {
    await sql.end({ timeout: 2 });
  }
}

async function redisVersion(env: Environment): Promise<string> {
  const redis = new Redis(redisUrl(env.redis), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    redis.disconnect();
  }
}

export async function versions(env: Environment): Promise<Versions> {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const [pg, redis] = await Promise.all([
    postgresVersion(env).catch((err: Error) => `unknown (${err.message})`),
    redisVersion(env).catch((err: Error) => `unknown (${err.message})`),
  ]);
  return { node: process.version, postgres: pg, redis, rig: pkg.version, commit: gitCommit() };
}
