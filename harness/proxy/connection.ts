// One proxied TCP connection: the accepted client socket, the socket to the upstream, and a link each way.
// Half-closes pass through (a FIN one way leaves the other way open); any socket error tears the pair down; nothing
// here can throw into the event loop.
import { connect, type Socket } from 'node:net';
import { Link, type LinkOwner } from './link.ts';
import type { Stream, ToxicSpec } from './toxic-spec.ts';

export interface ConnectionOptions {
  client: Socket;
  upstreamHost: string;
  upstreamPort: number;
  /** The proxy's toxics for a direction, read when the upstream answers so none added meanwhile is missed. */
  toxics: (stream: Stream) => readonly ToxicSpec[];
  random: () => number;
  /** Called once, when both sockets are gone. */
  onClosed: (connection: Connection) => void;
}

// A toxic that cuts the connection lets the data ahead of the cut reach the peer first, but a peer that stops reading
// must not keep the sockets open forever.
const closeFlushMaxMs = 10_000;

export class Connection implements LinkOwner {
  private readonly client: Socket;
  private readonly upstream: Socket;
  private links: Partial<Record<Stream, Link>> = {};
  private closed = false;

  constructor(private readonly options: ConnectionOptions) {
    this.client = options.client;
    this.client.on('error', this.onSocketError);
    this.client.on('close', this.onSocketClose);
    // The client was accepted paused; its bytes wait until the upstream answers (or are dropped if it does not).
    this.upstream = connect({
      host: options.upstreamHost,
      port: options.upstreamPort,
      allowHalfOpen: true,
      noDelay: true,
    });
    this.upstream.on('error', this.onSocketError);
    this.upstream.on('close', this.onSocketClose);
    this.upstream.once('connect', () => this.start());
  }

  private start(): void {
    if (this.closed) return;
    const { toxics } = this.options;
    this.links.upstream = new Link(this.client, this.upstream, this, toxics('upstream'));
    this.links.downstream = new Link(this.upstream, this.client, this, toxics('downstream'));
    this.client.resume();
  }

  /** The link for one direction, once the upstream has connected. */
  link(stream: Stream): Link | undefined {
    return this.links[stream];
  }

  random(): number {
    return this.options.random();
  }

  /** Closes both sockets now (the proxy was disabled, deleted or shut down). */
  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
    this.cleanup();
  }

  reset(): void {
    for (const socket of [this.client, this.upstream]) {
      if (socket.destroyed) continue;
      try {
        socket.resetAndDestroy();
      } catch {
        // Not connected yet, so there is nothing to reset: a plain close is all there is.
        socket.destroy();
      }
    }
    this.cleanup();
  }

  closeAfterFlush(dest: Socket): void {
    const timer = setTimeout(() => this.destroy(), closeFlushMaxMs);
    timer.unref();
    dest.end(() => {
      clearTimeout(timer);
      this.destroy();
    });
  }

  // Once one side fails the pair is useless; Toxiproxy closes both as well.
  private readonly onSocketError = (): void => {
    this.destroy();
  };

  // A socket closes cleanly only once both its directions are done; the other socket may still be owed bytes that a
  // toxic holds (a half-closed server still reading), so the connection ends when both have closed, not one.
  private readonly onSocketClose = (): void => {
    if (this.client.destroyed && this.upstream.destroyed) this.cleanup();
  };

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    this.links.upstream?.dispose();
    this.links.downstream?.dispose();
    this.options.onClosed(this);
  }
}
