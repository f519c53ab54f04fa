// The network as the services' own code sees it: a peer is something to send a signed call to, with a deadline.
// Code that talks to another service depends on this port, never on the real adapter (peer.ts: HTTP or channel
// frames, Node's sockets and timers), so that a deterministic simulation can replace the network whole (issue 23).
// Closing is not part of it: whoever made a peer closes it (a process's main, a test).

import type { Clock } from './clock.ts';
import { ServiceError } from './errors.ts';
import type { Random } from './random.ts';
import { type KeyRing, signRequest } from './signing.ts';

export interface PeerReply<T = unknown> {
  status: number;
  body: T;
}

export interface CallOptions {
  timeoutMs: number;
  /** Extra headers (e.g. Idempotency-Key). */
  headers?: Record<string, string>;
  /** Abandons the call: it fails as indeterminate (`abandoned`), since the request may have been delivered. */
  signal?: AbortSignal;
}

/** Another service. */
export interface PeerPort {
  /**
   * Sends a request; resolves with any HTTP status, rejects only when no answer came, with a ServiceError that says
   * whether the request was certainly not delivered (definite) or may have been processed (a timeout, a reset).
   */
  call<T = unknown>(method: string, path: string, body: unknown, opts: CallOptions): Promise<PeerReply<T>>;
}

/** Codes of a call that certainly never reached the peer (the connection was never made). */
export const definiteCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/**
 * A call to `peer` that got no answer, as every PeerPort reports it: `timeout` for a deadline, else `unavailable`;
 * definite only when the request certainly was not delivered (`code` in definiteCodes, or `notSent`).
 */
export function peerFailure(peer: string, code: string | undefined, message: string, notSent = false): ServiceError {
  const definite = notSent || definiteCodes.has(code ?? '');
  return new ServiceError(
    code === 'ETIMEDOUT' ? 'timeout' : 'unavailable',
    `${peer}: ${code ?? message}`,
    { peer },
    definite,
  );
}

/** What signs a peer's requests: the key ring, the clock whose time goes in the signature, the nonces' source. */
export interface RequestSigner {
  ring: KeyRing;
  clock: Pick<Clock, 'wallMs'>;
  random: Random;
}

/** The bytes and headers of one call, as every PeerPort sends it: JSON, the caller's headers, then the signature. */
export function peerRequest(
  method: string,
  path: string,
  body: unknown,
  opts: CallOptions,
  signer: RequestSigner | undefined,
): { payload: string; headers: Record<string, string> } {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    ...opts.headers,
    ...(signer ? signRequest(signer.ring, method, path, payload, signer.clock.wallMs(), signer.random) : {}),
  };
  return { payload, headers };
}
