// One proxy: a listener on `listen` that connects every accepted client to `upstream` through the proxy's toxics.
// Disabling it closes the listener (new connections are refused) and every open connection.
import { createServer, type Server, type Socket } from 'node:net';
import { formatAddress, type HostPort, parseHostPort } from './address.ts';
import { Connection } from './connection.ts';
import type { JsonObject } from './decode.ts';
import { serverError } from './errors.ts';
import { type ToxicChange, ToxicCollection } from './toxic-collection.ts';
import { toxicJson } from './toxic-spec.ts';

export interface ProxySettings {
  listen: string;
  upstream: string;
  enabled: boolean;
}

export class FaultProxy {
  listen: string;
  upstream: string;
  enabled = false;
  readonly toxics: ToxicCollection;
  private upstreamAddress: HostPort;
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();

  constructor(
    readonly name: string,
    settings: Omit<ProxySettings, 'enabled'>,
    private readonly random: () => number,
  ) {
    parseHostPort(settings.listen, 'listen');
    this.upstreamAddress = parseHostPort(settings.upstream, 'upstream');
    this.listen = settings.listen;
    this.upstream = settings.upstream;
    this.toxics = new ToxicCollection((change) => this.apply(change));
  }

  /** Opens the listener. A port of 0 is replaced by the port the OS picked, so re-enabling reuses it. */
  async start(): Promise<void> {
    if (this.enabled) return;
    const { host, port } = parseHostPort(this.listen, 'listen');
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    server.on('connection', (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: host === '' ? undefined : host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      throw serverError(`listen tcp ${this.listen}: ${describeListenError(err)}`);
    });
    // Accept errors (out of file descriptors) must not crash the process; the listener keeps going.
    server.on('error', (err) => process.stderr.write(`proxy ${this.name}: ${err.message}\n`));
    const address = server.address();
    if (address && typeof address === 'object') this.listen = formatAddress(address);
    this.server = server;
    this.enabled = true;
  }

  /** Closes the listener and every open connection; resolves once the port refuses connections. */
  async stop(): Promise<void> {
    if (!this.enabled) return;
    this.enabled = false;
    const server = this.server;
    this.server = null;
    const closed = new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
    for (const connection of [...this.connections]) connection.destroy();
    await closed;
  }

  /** Applies a PATCH: a new address restarts the proxy (dropping its connections), then `enabled` is applied. */
  async update(settings: ProxySettings): Promise<void> {
    parseHostPort(settings.listen, 'listen');
    const upstreamAddress = parseHostPort(settings.upstream, 'upstream');
    if (settings.listen !== this.listen || settings.upstream !== this.upstream) {
      await this.stop();
      this.listen = settings.listen;
      this.upstream = settings.upstream;
      this.upstreamAddress = upstreamAddress;
    }
    if (settings.enabled !== this.enabled) {
      if (settings.enabled) await this.start();
      else await this.stop();
    }
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  toJSON(): JsonObject {
    return {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      toxics: this.toxics.list().map(toxicJson),
    };
  }

  private accept(client: Socket): void {
    if (!this.enabled) {
      // Accepted just as the proxy was disabled: treat it as refused.
      client.destroy();
      return;
    }
    const connection = new Connection({
      client,
      upstreamHost: this.upstreamAddress.host,
      upstreamPort: this.upstreamAddress.port,
      toxics: (stream) => this.toxics.forStream(stream),
      random: this.random,
      onClosed: (c) => this.connections.delete(c),
    });
    this.connections.add(connection);
  }

  private apply(change: ToxicChange): void {
    for (const connection of this.connections) {
      const link = connection.link(change.spec.stream);
      if (!link) continue;
      if (change.kind === 'added') link.add(change.spec);
      else if (change.kind === 'updated') link.update(change.spec);
      else link.remove(change.spec.name);
    }
  }
}

function describeListenError(err: NodeJS.ErrnoException): string {
  if (err.code === 'EADDRINUSE') return 'bind: address already in use';
  if (err.code === 'EADDRNOTAVAIL') return 'bind: cannot assign requested address';
  if (err.code === 'EACCES') return 'bind: permission denied';
  return err.message;
}
