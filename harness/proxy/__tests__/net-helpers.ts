// Small real-socket tools for the proxy tests: upstream servers that record what they see, a client that records
// what it receives and how its connection ended, and waits with deadlines instead of sleeps.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ICreateToxicBody, ToxicType } from 'toxiproxy-node-client';

/** Polls `condition` until it holds; fails naming `what` after `deadlineMs`. */
export async function waitFor(condition: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > deadlineMs) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface TestServer {
  port: number;
  /** Every accepted socket, in order. */
  sockets: Socket[];
  /** Bytes received, over all connections. */
  received(): Buffer;
  close(): Promise<void>;
}

/**
 * A loopback TCP server; `onSocket` decides what it does (the default echoes). Every socket is tracked so that
 * close() ends them all and no test leaves one open.
 */
export async function startServer(onSocket: (socket: Socket) => void = (s) => s.pipe(s)): Promise<TestServer> {
  const sockets: Socket[] = [];
  const chunks: Buffer[] = [];
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => chunks.push(d));
    onSocket(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    sockets,
    received: () => Buffer.concat(chunks),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export type Ending = { kind: 'end' } | { kind: 'error'; code: string } | { kind: 'close' };

/** A client connection that records everything: data with arrival times, the number of reads, how it ended. */
export class TestClient {
  readonly socket: Socket;
  private readonly chunks: Buffer[] = [];
  reads = 0;
  connected = false;
  /** performance.now() just before connecting: nothing on the proxy's side of this connection starts earlier. */
  readonly startedAt = performance.now();
  ending: Ending | undefined;
  /** performance.now() of the first byte received and of the ending. */
  firstByteAt: number | undefined;
  endedAt: number | undefined;

  constructor(port: number, host = '127.0.0.1') {
    this.socket = connect({ port, host, allowHalfOpen: true });
    this.socket.on('connect', () => {
      this.connected = true;
    });
    this.socket.on('data', (d: Buffer) => {
      this.firstByteAt ??= performance.now();
      this.reads++;
      this.chunks.push(d);
    });
    this.socket.on('end', () => this.finish({ kind: 'end' }));
    this.socket.on('error', (err: NodeJS.ErrnoException) =>
      this.finish({ kind: 'error', code: err.code ?? err.message }),
    );
    this.socket.on('close', () => this.finish({ kind: 'close' }));
  }

  private finish(ending: Ending): void {
    if (this.ending) return;
    this.ending = ending;
    this.endedAt = performance.now();
  }

  received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.received().toString('utf8');
  }

  async untilConnected(): Promise<void> {
    await waitFor(() => this.connected || this.ending !== undefined, 'the client to connect');
    if (!this.connected) throw new Error(`connection failed: ${JSON.stringify(this.ending)}`);
  }

  async untilReceived(bytes: number, deadlineMs = 10_000): Promise<void> {
    await waitFor(() => this.received().length >= bytes, `${bytes} bytes (have ${this.received().length})`, deadlineMs);
  }

  async untilEnded(deadlineMs = 10_000): Promise<Ending> {
    await waitFor(() => this.ending !== undefined, 'the connection to end', deadlineMs);
    return this.ending!;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Opens a client and waits until it is connected. */
export async function openClient(port: number): Promise<TestClient> {
  const client = new TestClient(port);
  await client.untilConnected();
  return client;
}

/** Sends `message` through a fresh connection and returns the echo and the milliseconds it took. */
export async function roundTrip(port: number, message = 'ping'): Promise<{ text: string; elapsedMs: number }> {
  const client = await openClient(port);
  const start = performance.now();
  client.socket.write(message);
  await client.untilReceived(Buffer.byteLength(message));
  const elapsedMs = performance.now() - start;
  client.destroy();
  return { text: client.text(), elapsedMs };
}

/** The port of a Toxiproxy `listen` answer such as `127.0.0.1:34567` or `[::]:34567`. */
export function listenPort(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

/** A toxic body for toxiproxy-node-client (whose types want every field), named `<type>_<stream>` by default. */
export function toxicBody(
  type: string,
  stream: 'upstream' | 'downstream',
  attributes: Record<string, number>,
  options: { toxicity?: number; name?: string } = {},
): ICreateToxicBody<Record<string, number>> {
  const name = options.name ?? `${type}_${stream}`;
  return { name, type: type as ToxicType, stream, toxicity: options.toxicity ?? 1, attributes };
}
