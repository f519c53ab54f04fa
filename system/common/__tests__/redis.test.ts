// Scripts are refused at once while the connection is not ready, against a real socket: ioredis (6.0.0) sends a
// script through its auto-pipeline, which, called while connecting, could throw out of its own setImmediate (the
// process died) or leave the call pending. A leader renewing its lease then never learns that it cannot.
import { createServer, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectRedis, defineScripts } from '../redis.ts';

describe('Redis scripts while not connected', () => {
  let server: Server;
  let port: number;
  let redis: Redis;
  const sockets: Socket[] = [];

  beforeEach(async () => {
    // Accepts and never answers: the client stays short of ready.
    server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });

  afterEach(async () => {
    redis?.disconnect();
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it('refuses a script while connecting, and while connected but not ready, with the state it is in', async () => {
    redis = connectRedis({ url: `redis://127.0.0.1:${port}`, keyPrefix: 't:', commandTimeoutMs: 2000 });
    redis.on('error', () => {});
    const scripts = defineScripts(redis, [{ name: 'one', numberOfKeys: 1, lua: 'return 1' }]);
    expect(redis.status).toBe('connecting');
    await expect(scripts.one!('k')).rejects.toThrow('Redis is not connected (connecting)');
    const deadline = Date.now() + 5000;
    while (redis.status === 'connecting' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(redis.status).toBe('connect');
    await expect(scripts.one!('k')).rejects.toThrow('Redis is not connected (connect)');
  });
});
