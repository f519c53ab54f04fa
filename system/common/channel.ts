// Real adapter: frames under Peer and the server, on Node's timers and event loop (a simulation replaces it whole).
// Calls between services as frames on one long-lived connection: the cheap path for the hot calls (gateway to
// leader, leader to participants). An HTTP call over loopback costs 100-250 us of CPU on the two ends together
// (parsing, headers, one write and one read syscall each way, a socket per call in flight); a frame costs a JSON
// line, and the frames that become ready in one turn of the event loop leave in one write (measured in
// docs/system.md, "Transport between services").
//
// The channel is an HTTP upgrade of a connection to the service's own port, so it passes through the same fault
// proxy as any other call. After the upgrade each side writes newline-terminated JSON (JSON.stringify never emits
// a raw newline): a request frame `{id, method, path, headers, body}` and a reply frame `{id, status, headers,
// body}`, bodies as the exact text that was signed. The server runs each request frame through the same
// pipeline as an HTTP request (route, signature, body, fault hooks, handler), so the two transports answer
// alike; replies come in the order the handlers finish and are matched by id.
//
// Failures keep HTTP's meaning for the caller (peer.ts classifies them): a frame is written only once the upgrade
// is answered, so a call that fails before then was certainly not delivered, and one that fails after may have
// been. A call that times out retires its channel: the next calls open a new one, and the old one closes once
// its other calls have settled. A partition (a proxy dropping bytes) may have cut a frame, and a stream that
// lost bytes must not be trusted again; a line that does not parse closes the channel at once.
import { type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';

export const channelPath = '/v1/channel';
export const channelProtocol = 'rig-frames/1';

export interface RequestFrame {
  id: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface ReplyFrame {
  id: number;
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** Splits a byte stream into lines; a line longer than `maxBytes` is an error (the stream cannot be trusted). */
export class LineReader {
  private partial: Buffer[] = [];
  private partialBytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
  ) {}

  /** Feeds bytes; throws when a line is too long. */
  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      this.check(this.partialBytes + piece.length);
      const line = this.partial.length === 0 ? piece : Buffer.concat([...this.partial, piece]);
      this.partial = [];
      this.partialBytes = 0;
      start = nl + 1;
      this.onLine(line.toString('utf8'));
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.check(this.partialBytes + rest.length);
      this.partial.push(rest);
      this.partialBytes += rest.length;
    }
  }

  private check(bytes: number): void {
    if (bytes > this.maxBytes) throw new Error(`frame longer than ${this.maxBytes} bytes`);
  }
}

/** Writes lines to a socket, the lines of one event-loop turn in one write. */
export class LineWriter {
  private batch: string[] = [];

  constructor(private readonly socket: Socket) {}

  write(line: string): void {
    if (this.batch.length === 0) setImmediate(() => this.flush());
    this.batch.push(line);
  }

  private flush(): void {
    const lines = this.batch;
    this.batch = [];
    if (!this.socket.destroyed) this.socket.write(`${lines.join('\n')}\n`);
  }
}

/** A frame of type T from a line; undefined when the line is not one (the channel is then closed). */
function parseFrame<T>(line: string, valid: (f: Record<string, unknown>) => boolean): T | undefined {
  let f: unknown;
  try {
    f = JSON.parse(line);
  } catch {
    return undefined;
  }
  return typeof f === 'object' && f !== null && valid(f as Record<string, unknown>) ? (f as T) : undefined;
}

export function parseRequestFrame(line: string): RequestFrame | undefined {
  return parseFrame<RequestFrame>(
    line,
    (f) =>
      Number.isSafeInteger(f.id) &&
      typeof f.method === 'string' &&
      typeof f.path === 'string' &&
      f.path.startsWith('/') &&
      typeof f.body === 'string' &&
      typeof f.headers === 'object' &&
      f.headers !== null &&
      Object.values(f.headers).every((v) => typeof v === 'string'),
  );
}

function parseReplyFrame(line: string): ReplyFrame | undefined {
  return parseFrame<ReplyFrame>(
    line,
    (f) => Number.isSafeInteger(f.id) && Number.isInteger(f.status) && typeof f.body === 'string',
  );
}

/**
 * An error with a code, as node's sockets raise them. peer.ts classifies by code, and takes `notSent` (the call's
 * frame was never written) as certainly not delivered.
 */
function coded(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

export interface ChannelCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

interface Pending {
  line: string;
  resolve: (reply: ReplyFrame) => void;
  reject: (err: NodeJS.ErrnoException) => void;
  timer: NodeJS.Timeout;
  unlisten: () => void;
}

/** The client end of one channel. `onRetired` tells its owner to open a new one for later calls. */
export class ChannelClient {
  private socket: Socket | undefined;
  private writer: LineWriter | undefined;
  /** Calls waiting for the upgrade, in order; nothing of them is on the wire yet. */
  private queued: Array<{ id: number; pending: Pending }> = [];
  private readonly inFlight = new Map<number, Pending>();
  private nextId = 1;
  private retired = false;
  private closed = false;
  private abortHandshake: (() => void) | undefined;

  constructor(
    host: string,
    port: string,
    private readonly frameMaxBytes: number,
    private readonly onRetired: (channel: ChannelClient) => void,
  ) {
    const req = request({
      host,
      port,
      method: 'GET',
      path: channelPath,
      headers: { connection: 'Upgrade', upgrade: channelProtocol },
      agent: false,
    });
    req.on('upgrade', (_res: IncomingMessage, socket: Socket, head: Buffer) => this.opened(socket, head));
    req.on('response', (res: IncomingMessage) => {
      res.resume();
      this.fail(coded('ECHANNELREFUSED', `channel refused with HTTP ${res.statusCode}`));
    });
    req.on('error', (err: NodeJS.ErrnoException) => this.fail(err));
    req.end();
    this.abortHandshake = () => req.destroy();
  }

  /** True once it takes no new calls. */
  get isRetired(): boolean {
    return this.retired;
  }

  call(c: ChannelCall): Promise<ReplyFrame> {
    return new Promise<ReplyFrame>((resolve, reject) => {
      if (this.retired) {
        reject(coded('ECHANNELRETIRED', 'channel retired'));
        return;
      }
      const id = this.nextId++;
      const line = JSON.stringify({ id, method: c.method, path: c.path, headers: c.headers, body: c.body });
      const settle = () => {
        clearTimeout(pending.timer);
        pending.unlisten();
        this.inFlight.delete(id);
        if (this.queued.length > 0) this.queued = this.queued.filter((q) => q.id !== id);
        this.closeIfDone();
      };
      const abandon = () => {
        settle();
        reject(coded('EABANDONED', 'abandoned'));
      };
      const pending: Pending = {
        line,
        resolve: (reply) => {
          settle();
          resolve(reply);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
        timer: setTimeout(() => {
          const notSent = this.queued.some((q) => q.id === id);
          this.retire();
          pending.reject(Object.assign(coded('ETIMEDOUT', 'deadline'), notSent ? { notSent } : {}));
        }, c.timeoutMs),
        unlisten: () => c.signal?.removeEventListener('abort', abandon),
      };
      if (c.signal?.aborted) {
        clearTimeout(pending.timer);
        reject(coded('EABANDONED', 'abandoned'));
        return;
      }
      c.signal?.addEventListener('abort', abandon, { once: true });
      if (this.writer) this.send(id, pending, this.writer);
      else this.queued.push({ id, pending });
    });
  }

  /** Closes the channel; every call not yet answered fails (as not sent, if it never was). */
  close(): void {
    this.retire();
    this.fail(coded('ECHANNELCLOSED', 'channel closed'));
  }

  private send(id: number, pending: Pending, writer: LineWriter): void {
    this.inFlight.set(id, pending);
    writer.write(pending.line);
  }

  private opened(socket: Socket, head: Buffer): void {
    this.abortHandshake = undefined;
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    socket.setNoDelay(true);
    const writer = new LineWriter(socket);
    this.writer = writer;
    const reader = new LineReader(this.frameMaxBytes, (line) => {
      const reply = parseReplyFrame(line);
      if (!reply) throw new Error('a reply frame that does not parse');
      // A reply to a call that timed out or was abandoned is dropped.
      this.inFlight.get(reply.id)?.resolve(reply);
    });
    const take = (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        this.fail(coded('EBADFRAME', (err as Error).message));
      }
    };
    socket.on('data', take);
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(err));
    socket.on('close', () => this.fail(coded('ECONNRESET', 'channel closed by the server')));
    const queued = this.queued;
    this.queued = [];
    for (const q of queued) this.send(q.id, q.pending, writer);
    if (head.length > 0) take(head);
    this.closeIfDone();
  }

  /** Takes no new calls; closes once those it has are settled. */
  private retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.onRetired(this);
  }

  private closeIfDone(): void {
    if (this.retired && this.inFlight.size === 0 && this.queued.length === 0) this.fail(coded('ECHANNELCLOSED', ''));
  }

  /** Ends the channel: calls on the wire fail with `err`, queued ones with it marked `notSent`. */
  private fail(err: NodeJS.ErrnoException): void {
    if (this.closed) return;
    this.closed = true;
    this.retire();
    this.abortHandshake?.();
    this.socket?.destroy();
    const queued = this.queued.map((q) => q.pending);
    const sent = [...this.inFlight.values()];
    this.queued = [];
    this.inFlight.clear();
    for (const p of queued) p.reject(Object.assign(coded(err.code ?? 'ECHANNEL', err.message), { notSent: true }));
    for (const p of sent) p.reject(err);
  }
}
