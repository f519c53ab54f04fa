// Real adapter: the network behind Peer; its call deadlines use Node's timers (a simulation replaces it whole).
// Signed JSON calls to another service, with a deadline on every call, over keep-alive HTTP connections or over
// a channel (frames on one upgraded connection, channel.ts; the services' own hot calls use it). Failures are
// classified the Jepsen way: a refused connection, or a call never written, means the request was certainly not
// delivered (definite); a timeout or a reset after sending means it may have been processed (indeterminate).
import { Agent, request } from 'node:http';
import { ChannelClient } from './channel.ts';
import type { Clock } from './clock.ts';
import type { ServiceError } from './errors.ts';
import { type CallOptions, type PeerPort, type PeerReply, peerFailure, peerRequest } from './peer-port.ts';
import { cryptoRandom, type Random } from './random.ts';
import type { KeyRing } from './signing.ts';

/** The first is the services' default (`RIG_PEER_TRANSPORT`). */
export const transports = ['channel', 'http'] as const;
export type Transport = (typeof transports)[number];

export interface PeerOptions {
  transport?: Transport;
  /** HTTP: connections at once (calls beyond wait for one). */
  maxSockets?: number;
  /** Draws the signatures' nonces (default: Node's CSPRNG). */
  random?: Random;
}

/** Longest reply frame taken (a reply is a small JSON document; /v1/state lists up to 10^4 ids). */
const replyFrameMaxBytes = 4 * 1024 * 1024;

/** The real PeerPort: over HTTP or a channel, to one base URL. */
export class Peer implements PeerPort {
  private readonly agent: Agent;
  private readonly url: URL;
  private readonly transport: Transport;
  private channel: ChannelClient | undefined;
  private readonly random: Random;

  constructor(
    readonly name: string,
    baseUrl: string,
    private readonly ring: KeyRing | undefined,
    private readonly clock: Clock,
    opts: PeerOptions = {},
  ) {
    this.url = new URL(baseUrl);
    this.transport = opts.transport ?? 'http';
    this.random = opts.random ?? cryptoRandom;
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256, keepAliveMsecs: 1000 });
  }

  /** Sends a request; resolves with any HTTP status, rejects only when no answer came (a typed ServiceError). */
  call<T = unknown>(method: string, path: string, body: unknown, opts: CallOptions): Promise<PeerReply<T>> {
    const signer = this.ring ? { ring: this.ring, clock: this.clock, random: this.random } : undefined;
    const { payload, headers } = peerRequest(method, path, body, opts, signer);
    if (this.transport === 'channel') return this.viaChannel(method, path, headers, payload, opts);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          headers,
          agent: this.agent,
          timeout: opts.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(this.failure(err)));
          res.on('end', () => {
            clearTimeout(deadline);
            resolve(reply<T>(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
          });
        },
      );
      // A whole-call deadline (the socket timeout alone resets on every byte).
      const deadline = setTimeout(
        () => req.destroy(Object.assign(new Error('deadline'), { code: 'ETIMEDOUT' })),
        opts.timeoutMs,
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('socket timeout'), { code: 'ETIMEDOUT' })));
      const abandon = () => req.destroy(Object.assign(new Error('abandoned'), { code: 'EABANDONED' }));
      opts.signal?.addEventListener('abort', abandon, { once: true });
      req.on('close', () => opts.signal?.removeEventListener('abort', abandon));
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(deadline);
        reject(this.failure(err));
      });
      if (opts.signal?.aborted) abandon();
      req.end(payload);
    });
  }

  private async viaChannel<T>(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string,
    opts: CallOptions,
  ): Promise<PeerReply<T>> {
    if (!this.channel || this.channel.isRetired) {
      this.channel = new ChannelClient(this.url.hostname, this.url.port, replyFrameMaxBytes, (retired) => {
        if (this.channel === retired) this.channel = undefined;
      });
    }
    try {
      const frame = await this.channel.call({
        method,
        path,
        headers,
        body,
        timeoutMs: opts.timeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      return reply<T>(frame.status, frame.body);
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { notSent?: boolean };
      throw this.failure(e, e.notSent === true);
    }
  }

  private failure(err: NodeJS.ErrnoException, notSent = false): ServiceError {
    return peerFailure(this.name, err.code, err.message, notSent);
  }

  close(): void {
    this.agent.destroy();
    this.channel?.close();
  }
}

/** A reply's body as JSON, or as its text when it is not JSON (kept for the error message). */
function reply<T>(status: number, text: string): PeerReply<T> {
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status, body: parsed as T };
}
