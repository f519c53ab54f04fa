// What the built-in proxy guarantees beyond the shared contract: stricter attribute checks, half-closes passed through
// both ways, survival under abusive sockets, seeded randomness, and a close() that leaves nothing open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyServer, startProxyServer } from '../server.ts';
import { Fixture } from './fixture.ts';
import { openClient, roundTrip, TestClient, toxicBody, waitFor } from './net-helpers.ts';

let server: ProxyServer;
beforeAll(async () => {
  server = await startProxyServer({ seed: 99 });
});
afterAll(async () => {
  await server.close();
});
const fx = new Fixture(() => server);

describe('built-in proxy: attribute checks', () => {
  it('refuses impossible attributes with 400, naming the attribute, and adds nothing', async () => {
    const { proxy, port } = await fx.echoProxy();
    const toxics = `/proxies/${proxy.name}/toxics`;
    const cases: Array<[unknown, RegExp]> = [
      [
        { type: 'latency', attributes: { latency: -5 } },
        /latency must be a whole number >= 0 \(milliseconds\), got -5/,
      ],
      [{ type: 'bandwidth', attributes: { rate: 1.5 } }, /rate must be a whole number >= 0 \(KB\/s\), got 1.5/],
      [{ type: 'slicer', attributes: { average_size: 0 } }, /average_size must be at least 1 byte/],
      [
        { type: 'slicer', attributes: { average_size: 10, size_variation: 10 } },
        /size_variation \(10\) must be smaller than average_size \(10\)/,
      ],
      [{ type: 'timeout', toxicity: 2 }, /toxicity must be between 0 and 1/],
      [{ type: 'timeout', attributes: 'soon' }, /^bad request body/],
    ];
    for (const [body, message] of cases) {
      const answer = await fx.call('POST', toxics, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect((answer.json as { error: string }).error).toMatch(message);
    }
    await fx.call('POST', toxics, { type: 'latency', name: 'lat', attributes: { latency: 1 } });
    const update = await fx.call('PATCH', `${toxics}/lat`, { attributes: { jitter: -1 } });
    expect(update.status).toBe(400);
    expect((await fx.call('GET', `${toxics}/lat`)).json).toMatchObject({ attributes: { latency: 1, jitter: 0 } });
    expect((await fx.call('GET', toxics)).json).toHaveLength(1);
    expect((await roundTrip(port)).text).toBe('ping');
  });

  it('answers 500 naming a listen address already in use, and creates nothing', async () => {
    const taken = await fx.server();
    const name = fx.name();
    const answer = await fx.call('POST', '/proxies', {
      name,
      listen: `127.0.0.1:${taken.port}`,
      upstream: `127.0.0.1:${taken.port}`,
    });
    expect(answer.status).toBe(500);
    expect(answer.json).toEqual({
      error: `listen tcp 127.0.0.1:${taken.port}: bind: address already in use`,
      status: 500,
    });
    expect((await fx.call('GET', `/proxies/${name}`)).status).toBe(404);
  });

  it('answers 404 for an unknown route and 405 for a wrong method, as Toxiproxy does', async () => {
    const unknown = await fx.call('GET', '/nothing/here');
    expect([unknown.status, unknown.text]).toEqual([404, '404 page not found\n']);
    expect((await fx.call('PUT', '/proxies')).status).toBe(405);
  });
});

describe('built-in proxy: sockets', () => {
  it('passes a half-close from the client through, and the server can still answer', async () => {
    const upstream = await fx.server((socket) => {
      const got: Buffer[] = [];
      socket.on('data', (d: Buffer) => got.push(d));
      socket.on('end', () => socket.end(`got ${Buffer.concat(got).length} bytes`));
    });
    const { port } = await fx.proxy(upstream.port);
    const client = await fx.client(port);
    client.socket.end('hello world');
    await client.untilEnded();
    expect(client.ending).toEqual({ kind: 'end' });
    expect(client.text()).toBe('got 11 bytes');
  });

  it('passes a half-close from the server through, and the client can still send', async () => {
    const upstream = await fx.server((socket) => {
      socket.write('first');
      socket.end();
    });
    const { port } = await fx.proxy(upstream.port);
    const client = await fx.client(port);
    await waitFor(() => client.ending?.kind === 'end', 'the server half-close to reach the client');
    expect(client.text()).toBe('first');
    client.socket.end('late words');
    await waitFor(() => upstream.received().toString() === 'late words', 'the late words to reach the server');
  });

  it('delivers data still held by a toxic to a server that already half-closed, after the client closed too', async () => {
    const upstream = await fx.server((socket) => socket.end('hello'));
    const { proxy, port } = await fx.proxy(upstream.port);
    await proxy.addToxic(toxicBody('latency', 'upstream', { latency: 200 }));
    const client = await fx.client(port);
    await waitFor(() => client.ending?.kind === 'end', 'the server greeting and half-close');
    client.socket.end('late words');
    await waitFor(() => upstream.received().toString() === 'late words', 'the held words to reach the server');
  });

  it('survives abusive clients and upstreams, and keeps serving', async () => {
    const resetting = await fx.server((socket) => socket.once('data', () => socket.resetAndDestroy()));
    const { port: resetPort } = await fx.proxy(resetting.port);
    const { proxy, port } = await fx.echoProxy();
    await proxy.addToxic(toxicBody('latency', 'downstream', { latency: 50 }));
    const deadUpstream = await fx.proxy(1);
    const clients: TestClient[] = [];
    for (let i = 0; i < 100; i++) {
      const c = new TestClient(i % 3 === 0 ? resetPort : i % 3 === 1 ? port : deadUpstream.port);
      c.socket.on('connect', () => {
        c.socket.write(Buffer.alloc(64 * 1024, i));
        if (i % 2 === 0) c.socket.destroy();
      });
      clients.push(c);
    }
    // A client that never reads, with the proxy writing to it: backpressure, then an abrupt close.
    const stalled = await openClient(port);
    stalled.socket.pause();
    stalled.socket.write(Buffer.alloc(4 << 20, 1));
    await waitFor(
      () => clients.every((c) => c.ending !== undefined || c.received().length > 0),
      'every client to settle',
    );
    stalled.destroy();
    for (const c of clients) c.destroy();
    expect((await roundTrip(port, 'still here')).text).toBe('still here');
    expect((await fx.call('GET', '/version')).status).toBe(200);
  });

  it('deleting a proxy closes its connections and frees its port', async () => {
    const { proxy, port } = await fx.echoProxy();
    const client = await fx.client(port);
    await proxy.remove();
    await client.untilEnded();
    const refused = new TestClient(port);
    expect(await refused.untilEnded()).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
  });
});

describe('built-in proxy: seeded randomness', () => {
  /** Which of 24 sequential connections a toxicity-0.5 limit_data toxic hit, on a fresh server with `seed`. */
  async function pattern(seed: number): Promise<string> {
    const own = await startProxyServer({ seed });
    const local = new Fixture(() => own, false);
    const upstream = await local.server();
    const { proxy, port } = await local.proxy(upstream.port);
    await proxy.addToxic(toxicBody('limit_data', 'downstream', { bytes: 1 }, { toxicity: 0.5 }));
    let hits = '';
    for (let i = 0; i < 24; i++) {
      const client = await openClient(port);
      client.socket.write('xy');
      await waitFor(() => client.received().length === 2 || client.ending !== undefined, 'an echo or a close');
      hits += client.received().length === 2 ? '.' : 'x';
      client.destroy();
    }
    await local.cleanup();
    await own.close();
    return hits;
  }

  it('rolls toxicity from the seed: the same seed hits the same connections', async () => {
    const first = await pattern(7);
    expect(first).toMatch(/x/);
    expect(first).toMatch(/\./);
    expect(await pattern(7)).toBe(first);
  });
});

describe('built-in proxy: close()', () => {
  it('closes the API, every listener and every open connection', async () => {
    const own = await startProxyServer();
    const local = new Fixture(() => own, false);
    const upstream = await local.server();
    const { port } = await local.proxy(upstream.port);
    const client = await openClient(port);
    await own.close();
    await client.untilEnded();
    expect(await new TestClient(port).untilEnded()).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
    await expect(fetch(`${own.url}/version`)).rejects.toThrow();
    await local.cleanup();
  });
});
