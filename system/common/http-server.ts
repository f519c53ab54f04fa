// Real adapter: the server in front of the routes, on Node's sockets (a simulation delivers to the routes itself).
// A small JSON HTTP server with bounded bodies: each request goes through the socket-free pipeline of dispatch.ts
// (route match, signature verification, fault hook, typed errors mapped to statuses, metrics per route). The same
// routes are served on connections upgraded to frames (channel.ts), through the same pipeline.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { channelPath, channelProtocol, LineReader, LineWriter, parseRequestFrame } from './channel.ts';
import { bodyMaxBytes } from './contract.ts';
import { createDispatcher, type Dispatch, type DispatchOptions, type Reply } from './dispatch.ts';
import { ServiceError } from './errors.ts';

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new ServiceError('bad_request', `body is larger than ${maxBytes} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const payload = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  res.writeHead(reply.status, {
    'content-type': reply.text === undefined ? 'application/json' : 'text/plain; version=0.0.4',
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
  });
  res.end(payload);
}

/** The upgraded connections of each server (channel.ts), closed with it. */
const channelsOf = new WeakMap<Server, Set<Socket>>();

/** Serves request frames on connections upgraded to the channel protocol (channel.ts), through `dispatch`. */
function acceptChannels(server: Server, dispatch: Dispatch): void {
  const channels = new Set<Socket>();
  channelsOf.set(server, channels);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (req.url !== channelPath || req.headers.upgrade !== channelProtocol) {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    channels.add(socket);
    socket.on('close', () => channels.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${channelProtocol}\r\n\r\n`);
    const writer = new LineWriter(socket);
    // A frame holds the body as a JSON string (escaping can double it) and the headers.
    const reader = new LineReader(2 * bodyMaxBytes + 16 * 1024, (line) => {
      const frame = parseRequestFrame(line);
      if (!frame) throw new Error('a request frame that does not parse');
      const headers: IncomingMessage['headers'] = {};
      for (const [k, v] of Object.entries(frame.headers)) headers[k.toLowerCase()] = v;
      const readRaw = async () => {
        const raw = Buffer.from(frame.body, 'utf8');
        if (raw.length > bodyMaxBytes)
          throw new ServiceError('bad_request', `body is larger than ${bodyMaxBytes} bytes`);
        return raw;
      };
      void dispatch(frame.method, frame.path, headers, readRaw).then((reply) => {
        const body = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
        writer.write(JSON.stringify({ id: frame.id, status: reply.status, headers: reply.headers, body }));
      });
    });
    const take = (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch {
        // A stream that does not frame cannot be trusted for anything after it.
        socket.destroy();
      }
    };
    socket.on('data', take);
    if (head.length > 0) take(head);
  });
}

export function createJsonServer(opts: DispatchOptions): Server {
  const dispatch = createDispatcher(opts);
  const server = createServer((req, res) => {
    void dispatch(req.method ?? 'GET', req.url ?? '/', req.headers, () => readBody(req, bodyMaxBytes)).then((reply) =>
      send(res, reply),
    );
  });
  server.keepAliveTimeout = 65_000;
  acceptChannels(server, dispatch);
  return server;
}

/** Listens and resolves with the bound port. */
export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Closes the listener and every idle or active connection, channels included. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
    for (const socket of channelsOf.get(server) ?? []) socket.destroy();
  });
}
