// The paced load's HTTP client (http1.ts) against real loopback servers: statuses and bodies as node's server
// writes them, keep-alive reuse, requests queued for a free connection, and the error and timeout cases.
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Client } from '../http1.ts';

const servers: Array<Server | TcpServer> = [];
const clients: Http1Client[] = [];

async function listen<S extends Server | TcpServer>(server: S): Promise<URL> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/v1/sessions`);
}

function client(url: URL, connections: number, timeoutMs = 5000): Http1Client {
  const c = new Http1Client(url, connections, timeoutMs);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

describe('Http1Client', () => {
  it('posts the body and reads each status, reusing its connections', async () => {
    const seen: string[] = [];
    let connections = 0;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${req.headers['content-type']} ${body}`);
        const { n } = JSON.parse(body) as { n: number };
        const reply = JSON.stringify({ n, pad: 'x'.repeat(n * 1000) });
        res.writeHead(n % 2 === 0 ? 201 : 409, { 'content-length': Buffer.byteLength(reply) });
        res.end(reply);
      });
    });
    server.on('connection', () => connections++);
    const c = client(await listen(server), 2);
    const statuses = await Promise.all([0, 1, 2, 3, 4, 5, 6].map((n) => c.post(JSON.stringify({ n }))));
    expect(statuses).toEqual([201, 409, 201, 409, 201, 409, 201]);
    expect(seen).toContain('POST /v1/sessions application/json {"n":3}');
    expect(connections).toBe(2);
    expect(await c.post('{"n":8}')).toBe(201);
    expect(connections).toBe(2);
  });

  it('counts a response without content-length, or a connection closed mid-request, as an error', async () => {
    let mode: 'no-length' | 'hang-up' = 'no-length';
    const tcp = createTcpServer((socket: Socket) => {
      socket.once('data', () => {
        if (mode === 'no-length') socket.write('HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n');
        else socket.destroy();
      });
    });
    const c = client(await listen(tcp), 1);
    expect(await c.post('{}')).toBe(0);
    mode = 'hang-up';
    expect(await c.post('{}')).toBe(0);
  });

  it('gives up on a request with no answer after the timeout, and the next one gets a new connection', async () => {
    let answer = false;
    let connections = 0;
    const server = createServer((_req, res) => {
      if (!answer) return;
      res.writeHead(201, { 'content-length': '2' });
      res.end('{}');
    });
    server.on('connection', () => connections++);
    const c = client(await listen(server), 1, 100);
    expect(await c.post('{}')).toBe(-1);
    answer = true;
    expect(await c.post('{}')).toBe(201);
    expect(connections).toBe(2);
  });
});
