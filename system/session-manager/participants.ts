// Calls from the coordinator to the participants (resource manager, billing). Every call carries the leader's
// token and is idempotent by txn id on the participant's side, so retrying is always safe.
import type { Phase2, PrepareRequest } from '../common/contract.ts';
import type { PeerPort } from '../common/peer-port.ts';
import type { SessionRequest } from './txlog.ts';
import type { WaitForEdge } from './wait-for.ts';

/** A vote as the coordinator counts it: the participant's reply, or a no naming the error it answered with. */
export type Vote = { vote: 'yes' } | { vote: 'no'; reason: string };

export interface ParticipantClient {
  readonly name: string;
  prepare(txnId: string, body: PrepareRequest, timeoutMs: number): Promise<Vote>;
  /** Resolves true when acknowledged; false when the participant refused (e.g. a conflict); throws when no answer. */
  send(
    phase: Phase2,
    txnId: string,
    token: number,
    timeoutMs: number,
  ): Promise<{ ok: boolean; state?: string; code?: string }>;
  /** The participant's durable state of the txn (`prepared`, `precommitted`, ...); throws when no answer. */
  state(txnId: string, timeoutMs: number): Promise<string>;
}

export function prepareBody(token: number, sessionId: string, request: SessionRequest): PrepareRequest {
  const { base } = request;
  return {
    token,
    sessionId,
    protocol: request.protocol,
    subscriberId: request.subscriberId,
    kind: request.kind ?? 'create',
    cells: request.cells,
    amount: request.amount,
    ...(base ? { release: { cells: base.cells, amount: base.amount } } : {}),
  };
}

/** A participant as the deadlock detector sees it: its wait-for edges, and a way to cancel a victim's prepare. */
export interface WaitSource {
  readonly name: string;
  waits(timeoutMs: number): Promise<Array<Omit<WaitForEdge, 'participant'>>>;
  cancel(txnId: string, token: number, timeoutMs: number): Promise<boolean>;
}

interface Reply {
  vote?: 'yes' | 'no';
  reason?: string;
  state?: string;
  code?: string;
}

export class HttpParticipant implements ParticipantClient, WaitSource {
  constructor(
    readonly name: string,
    private readonly peer: PeerPort,
  ) {}

  async prepare(txnId: string, body: PrepareRequest, timeoutMs: number): Promise<Vote> {
    const r = await this.peer.call<Reply>('POST', `/v1/txn/${encodeURIComponent(txnId)}/prepare`, body, { timeoutMs });
    if (r.status === 200 && r.body?.vote === 'yes') return { vote: 'yes' };
    if (r.status === 200 && r.body?.vote === 'no') return { vote: 'no', reason: r.body.reason ?? 'no_vote' };
    return { vote: 'no', reason: r.body?.code ?? `http_${r.status}` };
  }

  async send(phase: Phase2, txnId: string, token: number, timeoutMs: number) {
    const r = await this.peer.call<Reply>(
      'POST',
      `/v1/txn/${encodeURIComponent(txnId)}/${phase}`,
      { token },
      { timeoutMs },
    );
    return {
      ok: r.status === 200,
      ...(r.body?.state ? { state: r.body.state } : {}),
      ...(r.body?.code ? { code: r.body.code } : {}),
    };
  }

  async state(txnId: string, timeoutMs: number): Promise<string> {
    const r = await this.peer.call<Reply>('GET', `/v1/txn/${encodeURIComponent(txnId)}`, undefined, { timeoutMs });
    return r.status === 200 && r.body?.state ? r.body.state : 'unknown';
  }

  async waits(timeoutMs: number): Promise<Array<Omit<WaitForEdge, 'participant'>>> {
    const r = await this.peer.call<{ edges?: unknown }>('GET', '/v1/waits', undefined, { timeoutMs });
    if (r.status !== 200 || !Array.isArray(r.body?.edges))
      throw new Error(`${this.name}: /v1/waits answered ${r.status}`);
    return (r.body.edges as Array<Record<string, unknown>>).map((e) => ({
      txnId: String(e.txnId),
      waitsFor: String(e.waitsFor),
      resource: typeof e.resource === 'string' ? e.resource : null,
      waitedMs: Number(e.waitedMs) || 0,
    }));
  }

  async cancel(txnId: string, token: number, timeoutMs: number): Promise<boolean> {
    const r = await this.peer.call<{ cancelled?: boolean }>(
      'POST',
      `/v1/txn/${encodeURIComponent(txnId)}/cancel`,
      { token },
      { timeoutMs },
    );
    return r.status === 200 && r.body?.cancelled === true;
  }
}
