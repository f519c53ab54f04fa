// The channel transport (channel.ts) against a real loopback server: the same routes, signatures and errors as
// over HTTP, replies matched to calls when they come out of order, and the failure classes a caller relies on
// (not delivered, may have been delivered) when the server refuses, goes silent, closes or talks nonsense.

import type { Server } from 'node:http';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channelPath, channelProtocol, LineReader } from '../channel.ts';
import { systemClock } from '../clock.ts';
import type { Route } from '../dispatch.ts';
import { ServiceError } from '../errors.ts';
import { closeServer, createJsonServer, listen } from '../http-server.ts';
import { createLogger } from '../log.ts';
import { createHttpMetrics } from '../metrics.ts';
import { Peer } from '../peer.ts';
import { parseKeyRing, Verifier } from '../signing.ts';

const ring = parseKeyRing('k1:channel-test-secret-01');

/** Resolves once `cond` holds; fails after `ms`. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function failure(p: Promise<unknown>): Promise<ServiceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServiceError);
  return err as ServiceError;
}

describe('channel transport', () => {
  let server: Server;
  let port: number;
  let peers: Peer[] = [];
  /** Calls to /v1/hold wait here until released, in arrival order. */
  let held: Array<() => void> = [];
  let seen: string[] = [];

  const routes: Route[] = [
    {
      method: 'POST',
      pattern: '/v1/echo/:name',
      signed: true,
      handler: (ctx) => {
        seen.push(ctx.params.name!);
        const key = ctx.headers['idempotency-key'];
        return { status: 200, body: { name: ctx.params.name, got: ctx.body, by: ctx.signedBy, key } };
      },
    },
    {
      method: 'POST',
      pattern: '/v1/hold/:name',
      signed: true,
      handler: async (ctx) => {
        seen.push(ctx.params.name!);
        await new Promise<void>((r) => held.push(r));
        return { status: 200, body: { name: ctx.params.name } };
      },
    },
    { method: 'GET', pattern: '/v1/busy', signed: false, handler: () => ({ status: 503, body: { code: 'busy' } }) },
  ];

  const peer = (p = port) => {
    const made = new Peer('srv', `http://127.0.0.1:${p}`, ring, systemClock(), { transport: 'channel' });
    peers.push(made);
    return made;
  };

  beforeEach(async () => {
    held = [];
    seen = [];
    server = createJsonServer({
      routes,
      clock: systemClock(),
      logger: createLogger('test', 'test', Date.now, 'error', () => {}),
      metrics: createHttpMetrics('test', 'test'),
      verifier: new Verifier(ring, { windowMs: 30_000, nonceCacheMax: 1000 }),
    });
    port = await listen(server, 0);
  });

  afterEach(async () => {
    for (const p of peers) p.close();
    peers = [];
    for (const release of held) release();
    await closeServer(server);
  });

  it('answers signed calls as HTTP does, concurrent calls on one connection', async () => {
    let connections = 0;
    server.on('upgrade', () => connections++);
    const p = peer();
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        p.call('POST', `/v1/echo/n${i}`, { i }, { timeoutMs: 5000, headers: { 'Idempotency-Key': `key-${i}` } }),
      ),
    );
    replies.forEach((r, i) => {
      expect(r).toEqual({ status: 200, body: { name: `n${i}`, got: { i }, by: 'k1', key: `key-${i}` } });
    });
    expect(connections).toBe(1);
    // Errors are replies, as over HTTP.
    expect(await p.call('GET', '/v1/busy', undefined, { timeoutMs: 5000 })).toEqual({
      status: 503,
      body: { code: 'busy' },
    });
    expect((await p.call('GET', '/v1/none', undefined, { timeoutMs: 5000 })).status).toBe(404);
  });

  it('refuses an unsigned or wrongly signed frame, and a replayed one', async () => {
    const unsigned = new Peer('srv', `http://127.0.0.1:${port}`, undefined, systemClock(), { transport: 'channel' });
    peers.push(unsigned);
    const r = await unsigned.call('POST', '/v1/echo/x', {}, { timeoutMs: 5000 });
    expect(r).toMatchObject({ status: 401, body: { code: 'unsigned' } });
    const wrong = new Peer('srv', `http://127.0.0.1:${port}`, parseKeyRing('k1:another-secret-000001'), systemClock(), {
      transport: 'channel',
    });
    peers.push(wrong);
    expect(await wrong.call('POST', '/v1/echo/x', {}, { timeoutMs: 5000 })).toMatchObject({
      status: 401,
      body: { code: 'bad_signature' },
    });
    expect(seen).toEqual([]);
  });

  it('matches replies that come back out of order', async () => {
    const p = peer();
    const first = p.call<{ name: string }>('POST', '/v1/hold/first', {}, { timeoutMs: 5000 });
    const second = p.call<{ name: string }>('POST', '/v1/hold/second', {}, { timeoutMs: 5000 });
    await until(() => held.length === 2);
    held[1]!();
    expect((await second).body.name).toBe('second');
    held[0]!();
    expect((await first).body.name).toBe('first');
  });

  it('fails a call as not delivered when nothing listens', async () => {
    await closeServer(server);
    server = createJsonServer({
      routes,
      clock: systemClock(),
      logger: createLogger('test', 'test', Date.now, 'error', () => {}),
      metrics: createHttpMetrics('test', 'test'),
    });
    const err = await failure(peer().call('POST', '/v1/echo/x', {}, { timeoutMs: 5000 }));
    expect(err).toMatchObject({ code: 'unavailable', definite: true });
    // The closed server still listens (re-listened below) so afterEach can close it.
    port = await listen(server, 0);
  });

  it('a timed-out call may have been delivered; later calls go on a new connection', async () => {
    let connections = 0;
    server.on('upgrade', () => connections++);
    const p = peer();
    const slow = p.call('POST', '/v1/hold/slow', {}, { timeoutMs: 5000 });
    const timedOut = failure(p.call('POST', '/v1/hold/late', {}, { timeoutMs: 50 }));
    expect(await timedOut).toMatchObject({ code: 'timeout', definite: false });
    expect(seen).toContain('late');
    // The other call on the retired connection still gets its answer.
    const fresh = p.call('POST', '/v1/echo/after', {}, { timeoutMs: 5000 });
    expect((await fresh).status).toBe(200);
    expect(connections).toBe(2);
    held[0]!();
    expect((await slow).status).toBe(200);
  });

  it('fails calls in flight as maybe delivered when the server closes the connection', async () => {
    const p = peer();
    const call = failure(p.call('POST', '/v1/hold/x', {}, { timeoutMs: 5000 }));
    await until(() => held.length === 1);
    await closeServer(server);
    expect(await call).toMatchObject({ code: 'unavailable', definite: false });
    port = await listen(server, 0).catch(() => port);
  });

  it('fails an abandoned call at once, as maybe delivered, and keeps the connection', async () => {
    const p = peer();
    const abandon = new AbortController();
    const call = failure(p.call('POST', '/v1/hold/a', {}, { timeoutMs: 60_000, signal: abandon.signal }));
    await until(() => held.length === 1);
    abandon.abort();
    expect(await call).toMatchObject({ code: 'unavailable', definite: false, message: 'srv: EABANDONED' });
    expect((await p.call('POST', '/v1/echo/b', {}, { timeoutMs: 5000 })).status).toBe(200);
  });
});

describe('channel framing', () => {
  it('splits lines across chunks and refuses one that is too long', () => {
    const lines: string[] = [];
    const reader = new LineReader(8, (l) => lines.push(l));
    reader.push(Buffer.from('ab'));
    reader.push(Buffer.from('c\nde\n'));
    reader.push(Buffer.from('f'));
    expect(lines).toEqual(['abc', 'de']);
    reader.push(Buffer.from('ghi\n'));
    expect(lines).toEqual(['abc', 'de', 'fghi']);
    expect(() => reader.push(Buffer.from('123456789'))).toThrow('frame longer than 8 bytes');
  });

  describe('against a server that talks nonsense', () => {
    let tcp: TcpServer;
    let port: number;
    const sockets: Socket[] = [];
    let answer: (socket: Socket, request: string) => void;

    beforeEach(async () => {
      tcp = createTcpServer((socket) => {
        sockets.push(socket);
        let text = '';
        socket.on('data', (d) => {
          text += d.toString();
          if (!text.includes('\r\n\r\n')) return;
          answer(socket, text);
          text = '';
        });
      });
      await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
      port = (tcp.address() as { port: number }).port;
    });

    afterEach(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => tcp.close(r));
    });

    it('closes the channel on a reply that does not parse: the calls on it may have been delivered', async () => {
      answer = (socket, request) => {
        expect(request).toContain(`GET ${channelPath} HTTP/1.1`);
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${channelProtocol}\r\n\r\n`);
        socket.once('data', () => socket.write('{"id": 1, "sta\n'));
      };
      const p = new Peer('srv', `http://127.0.0.1:${port}`, ring, systemClock(), { transport: 'channel' });
      try {
        const err = await failure(p.call('POST', '/v1/x', {}, { timeoutMs: 5000 }));
        expect(err).toMatchObject({ code: 'unavailable', definite: false, message: 'srv: EBADFRAME' });
      } finally {
        p.close();
      }
    });

    it('a server that does not upgrade gets nothing: the call was not delivered', async () => {
      answer = (socket) => socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      const p = new Peer('srv', `http://127.0.0.1:${port}`, ring, systemClock(), { transport: 'channel' });
      try {
        const err = await failure(p.call('POST', '/v1/x', {}, { timeoutMs: 5000 }));
        expect(err).toMatchObject({ code: 'unavailable', definite: true, message: 'srv: ECHANNELREFUSED' });
      } finally {
        p.close();
      }
    });
  });
});
