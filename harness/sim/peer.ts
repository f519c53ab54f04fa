// The simulated PeerPort: a signed call from one simulated service to another, over the simulated network, into the
// receiver's own dispatcher (system/common/dispatch.ts), the same one its HTTP server uses. The request is signed and
// verified, serialised and parsed exactly as on a real socket; only the socket is missing.
import type { Clock } from '../../system/common/clock.ts';
import type { Dispatch, Reply } from '../../system/common/dispatch.ts';
import {
  type CallOptions,
  type PeerPort,
  type PeerReply,
  peerFailure,
  peerRequest,
} from '../../system/common/peer-port.ts';
import type { Random } from '../../system/common/random.ts';
import type { KeyRing } from '../../system/common/signing.ts';
import { NetworkError, type SimNetwork } from './network.ts';

/** Where each node's dispatcher is now (a restarted node has a new one; a node not serving yet has none). */
export type Dispatchers = ReadonlyMap<string, Dispatch>;

export class SimPeer implements PeerPort {
  constructor(
    private readonly net: SimNetwork,
    private readonly from: string,
    /** The node called, which is also the peer's name in errors. */
    readonly name: string,
    private readonly dispatchers: Dispatchers,
    private readonly ring: KeyRing | undefined,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  async call<T = unknown>(method: string, path: string, body: unknown, opts: CallOptions): Promise<PeerReply<T>> {
    const signer = this.ring ? { ring: this.ring, clock: this.clock, random: this.random } : undefined;
    const { payload, headers } = peerRequest(method, path, body, opts, signer);
    try {
      const reply = await this.net.request(
        this.from,
        this.name,
        `${method} ${path}`,
        () => this.serve(method, path, headers, payload),
        opts.signal ? { timeoutMs: opts.timeoutMs, signal: opts.signal } : { timeoutMs: opts.timeoutMs },
      );
      return { status: reply.status, body: bodyOf<T>(reply) };
    } catch (err) {
      if (err instanceof NetworkError) throw peerFailure(this.name, err.code, err.message);
      throw err;
    }
  }

  private serve(method: string, path: string, headers: Record<string, string>, payload: string): Promise<Reply> {
    const dispatch = this.dispatchers.get(this.name);
    // Alive but not serving yet (still starting): its port refuses, as a process not listening does.
    if (!dispatch) return Promise.reject(new NetworkError('ECONNREFUSED', `${this.name} is not listening`));
    // Header names arrive lower-cased, as Node's HTTP parser gives them.
    const received = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    return dispatch(method, path, received, async () => Buffer.from(payload, 'utf8'));
  }
}

/** The reply's body as the receiving side of a socket would parse it: JSON text back into a fresh value. */
function bodyOf<T>(reply: Reply): T {
  if (reply.body !== undefined) return JSON.parse(JSON.stringify(reply.body)) as T;
  return reply.text as T;
}
