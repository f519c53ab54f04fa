// Real adapter: Redis behind the stores' ports (LeaseStore, Dsm, EventStream); a simulation replaces it whole.
// Redis connections for the services, and Lua scripts loaded from `<service>/redis/<name>-<numKeys>.lua`
// (the key count comes from the file name, as in BullMQ). Commands fail fast when Redis is unreachable:
// a leader must learn at once that it cannot renew, not after a queue drains.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisOptions {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
}

export function connectRedis(opts: RedisOptions): Redis {
  return new Redis(opts.url, {
    keyPrefix: opts.keyPrefix,
    commandTimeout: opts.commandTimeoutMs,
    connectTimeout: opts.commandTimeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // Keep trying to reconnect, every 50 to 500 ms: the link may come back after a partition heals.
    retryStrategy: (times) => Math.min(50 * times, 500),
    lazyConnect: false,
    // Commands issued in the same turn of the event loop (the DSM writes of concurrent transactions) go out in
    // one write (in an A/B at concurrency 32 the leader used about a fifth less CPU per transaction). Each command
    // still gets its own reply and error, and commands on the connection keep their order.
    enableAutoPipelining: true,
  });
}

export interface ScriptSpec {
  name: string;
  numberOfKeys: number;
  lua: string;
}

export function loadScripts(dir: string): ScriptSpec[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.lua'))
    .map((file) => {
      const m = /^(.+)-(\d+)\.lua$/.exec(file);
      if (!m) throw new Error(`${join(dir, file)}: name Lua scripts <name>-<numKeys>.lua`);
      return { name: m[1]!, numberOfKeys: Number(m[2]), lua: readFileSync(join(dir, file), 'utf8') };
    });
}

type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;

/** Defines each script as a command on `redis` and returns callers by name. */
export function defineScripts(redis: Redis, scripts: ScriptSpec[]): Record<string, ScriptFn> {
  const out: Record<string, ScriptFn> = {};
  for (const s of scripts) {
    const command = `rig_${s.name.replaceAll('-', '_')}`;
    redis.defineCommand(command, { numberOfKeys: s.numberOfKeys, lua: s.lua });
    const fn = (redis as unknown as Record<string, ScriptFn>)[command]!.bind(redis);
    // Refused here while not connected: ioredis (6.0.0) sends a script through its auto-pipeline, which, when the
    // connection is down, can leave the call pending forever or throw out of its own setImmediate and kill the
    // process, where a plain command is refused (enableOfflineQueue: false). Seen when a link is cut (a disabled
    // proxy closes the connection and ioredis reconnects).
    out[s.name] = (...args) =>
      redis.status === 'ready' ? fn(...args) : Promise.reject(new Error(`Redis is not connected (${redis.status})`));
  }
  return out;
}
