// Proves real database clients work through the built-in proxy and feel its faults: ioredis and postgres.js against
// private redis-server and postgres instances (the `local` provider), each behind a proxy driven by the Toxiproxy client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { Toxiproxy, type Proxy as ToxiproxyProxy } from 'toxiproxy-node-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEnvironmentHandle, startLocal } from '../../env/local.ts';
import { type ProxyServer, startProxyServer } from '../server.ts';
import { listenPort, toxicBody, waitFor } from './net-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'rig-proxy-clients-'));
let env: LocalEnvironmentHandle | undefined;
let server: ProxyServer | undefined;
let toxiproxy: Toxiproxy;

beforeAll(async () => {
  env = await startLocal({ dir });
  server = await startProxyServer({ seed: 5 });
  toxiproxy = new Toxiproxy(server.url);
});

afterAll(async () => {
  await server?.close();
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function proxyTo(name: string, port: number): Promise<{ proxy: ToxiproxyProxy; port: number }> {
  const proxy = await toxiproxy.createProxy({ name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}` });
  return { proxy, port: listenPort(proxy.listen) };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, elapsedMs: performance.now() - start };
}

describe('ioredis through the proxy', () => {
  it('runs commands, slows down under latency, fails while disabled and recovers after', async () => {
    const { proxy, port } = await proxyTo('redis', env!.redis.port);
    const redis = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    });
    redis.on('error', () => {}); // reconnect attempts while the proxy is down are expected
    try {
      await redis.connect();
      expect(await redis.set('k', 'v')).toBe('OK');
      const latency = await proxy.addToxic(toxicBody('latency', 'downstream', { latency: 200, jitter: 0 }));
      const slow = await timed(() => redis.get('k'));
      expect(slow.value).toBe('v');
      expect(slow.elapsedMs).toBeGreaterThanOrEqual(195);
      await latency.remove();

      await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
      await waitFor(() => redis.status !== 'ready', 'ioredis to notice the proxy went down');
      await expect(redis.get('k')).rejects.toThrow();
      await proxy.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
      await waitFor(() => redis.status === 'ready', 'ioredis to reconnect', 20_000);
      expect(await redis.get('k')).toBe('v');
    } finally {
      redis.disconnect();
      await proxy.remove();
    }
  });
});

describe('postgres.js through the proxy', () => {
  it('runs queries, slows down under latency, fails on reset_peer and recovers after', async () => {
    const db = await env!.createDatabase('proxied');
    const { proxy, port } = await proxyTo('postgres', env!.postgres.port);
    const sql = postgres({
      host: '127.0.0.1',
      port,
      user: env!.postgres.user,
      database: db,
      max: 1,
      onnotice: () => {},
    });
    try {
      expect(await sql`SELECT 40 + 2 AS answer`).toEqual([{ answer: 42 }]);
      const latency = await proxy.addToxic(toxicBody('latency', 'upstream', { latency: 200, jitter: 0 }));
      const slow = await timed(() => sql`SELECT 1 AS one`);
      expect(slow.value).toEqual([{ one: 1 }]);
      expect(slow.elapsedMs).toBeGreaterThanOrEqual(195);
      await latency.remove();

      const reset = await proxy.addToxic(toxicBody('reset_peer', 'upstream', { timeout: 0 }));
      await expect(sql`SELECT 2`).rejects.toThrow();
      await reset.remove();
      expect(await sql`SELECT 3 AS three`).toEqual([{ three: 3 }]);
    } finally {
      await sql.end({ timeout: 1 });
      await proxy.remove();
    }
  });
});
