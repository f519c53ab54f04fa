// Calls from the coordinator to the participants (resource manager, billing). Every call carries the leader's
// token and is idempotent by txn id on the participant's side, so retrying is always safe.
import type { Peer } from '../common/peer.ts';
import type { Protocol, SessionRequest } from './txlog.ts';

export type Vote = { vote: 'yes' } | { vote: 'no'; reason: string };
export type Phase2 = 'commit' | 'abort' | 'precommit';

export interface ParticipantClient {
  readonly name: string;
  prepare(txnId: string, body: PrepareBody, timeoutMs: number): Promise<Vote>;
  /** Resolves true when acknowledged; false when the participant refused (e.g. a conflict); throws when no answer. */
  send(
    phase: Phase2,
    txnId: string,
    token: number,
    timeoutMs: number,
  ): Promise<{ ok: boolean; state?: string; code?: string }>;
}

export interface PrepareBody {
  token: number;
  sessionId: string;
  protocol: Protocol;
  subscriberId: string;
  cells: string[];
  amount: number;
}

export function prepareBody(token: number, sessionId: string, request: SessionRequest): PrepareBody {
  return {
    token,
    sessionId,
    protocol: request.protocol,
    subscriberId: request.subscriberId,
    cells: request.cells,
    amount: request.amount,
  };
}

interface Reply {
  vote?: 'yes' | 'no';
  reason?: string;
  state?: string;
  code?: string;
}

export class HttpParticipant implements ParticipantClient {
  constructor(
    readonly name: string,
    private readonly peer: Peer,
  ) {}

  async prepare(txnId: string, body: PrepareBody, timeoutMs: number): Promise<Vote> {
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
}
