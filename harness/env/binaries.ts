// Finding the server binaries the `local` provider runs.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface LocalBinaries {
  redisServer: string;
  initdb: string;
  postgres: string;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** PostgreSQL's bin directories under /usr/lib/postgresql, newest major version first. */
function debianPostgresBins(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(root, v, 'bin'));
}

function postgresBinary(name: 'initdb' | 'postgres'): string | undefined {
  const found = onPath(name);
  if (found) return found;
  for (const dir of debianPostgresBins()) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface BinarySearch {
  found?: LocalBinaries;
  missing: string[];
}

export function findLocalBinaries(): BinarySearch {
  const redisServer = onPath('redis-server');
  const initdb = postgresBinary('initdb');
  const postgres = postgresBinary('postgres');
  const missing: string[] = [];
  if (!redisServer) missing.push('redis-server (Debian/Ubuntu: apt-get install redis-server)');
  if (!initdb || !postgres) missing.push('PostgreSQL server binaries initdb and postgres (apt-get install postgresql)');
  if (redisServer && initdb && postgres) return { found: { redisServer, initdb, postgres }, missing };
  return { missing };
}

export function binaryVersion(path: string): string {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 5000 }).trim().split('\n')[0] ?? '';
  } catch (err) {
    return `unknown (${(err as Error).message.split('\n')[0]})`;
  }
}

/** uid/gid of the `postgres` account, which PostgreSQL needs when we are root (it refuses to run as root). */
export function postgresAccount(): { uid: number; gid: number } | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid, gid] = line.split(':');
      if (name === 'postgres' && uid && gid) return { uid: Number(uid), gid: Number(gid) };
    }
  } catch {
    // no passwd file
  }
  return undefined;
}
