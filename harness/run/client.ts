// The workload's client: one HTTP call to the gateway per op, and the completion it means (DESIGN section 3).
// ok: it happened (2xx). fail: it definitely did not (a 4xx such as 409 aborted or not_active, 412, 404, 400, 415 or
// 422 idempotency_key_reused; 503; connection refused). info: unknown (504, a timeout, a reset after sending): it
// may have happened at any time after the invocation. The values are the history's (checkers/sessions.ts lists
// them); no method throws.
import { Agent, request } from 'node:http';

export interface Completion {
  type: 'ok' | 'fail' | 'info';
  value: Record<string, unknown>;
  error?: string;
}

export interface CreateSessionValue {
  requestId: string;
  subscriberId: string;
  trafficClass: string;
  protocol: string;
  cells?: string[];
}

export interface ReadSessionValue {
  sessionId: string;
}

/** `ifMatch` absent: an unconditional write. */
export interface ModifySessionValue {
  requestId: string;
  sessionId: string;
  ifMatch?: number;
  trafficClass?: string;
  cells?: string[];
}

export interface ReleaseSessionValue {
  requestId: string;
  sessionId: string;
  ifMatch?: number;
}

const definiteNetworkErrors = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** The value without its undefined fields, so a history line holds only what was answered. */
function defined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/**
 * A status after which nothing changed for certain: every 4xx (415: the body was not read; 422: the key names another
 * request, and this one was refused), and 503 (no leader, or the request was shed).
 */
function definite(status: number): boolean {
  return (status >= 400 && status < 500) || status === 503;
}

/** A thrown error: definite only when the request was never sent (the connection was never made). */
function networkCompletion(err: unknown): Completion {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return { type: definiteNetworkErrors.has(code) ? 'fail' : 'info', value: { reason: code }, error: code };
}

/**
 * Why a session is not active, from a 409 `not_active` body (whose `status` is the session's, not the HTTP status):
 * `change-in-flight`, or the session's status (`RELEASED`, `ABORTED`, `PENDING`...).
 */
function notActiveReason(b: Record<string, unknown>): string | undefined {
  if (b.code !== 'not_active') return undefined;
  if (b.change !== undefined && b.status === 'COMMITTED') return 'change-in-flight';
  return typeof b.status === 'string' ? b.status : undefined;
}

const sessionPath = (sessionId: string) => `/v1/sessions/${encodeURIComponent(sessionId)}`;

/** How the client reaches the gateway: HTTP to a real one, or a simulated network (harness/sim/). Rejects when no answer
 * came, with an error whose `code` says how (ECONNREFUSED: never sent, so definite; anything else: unknown). */
export interface GatewayTransport {
  send(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Answer>;
  close(): void;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A body as the client reads it: a JSON object, or {} for anything else. */
export function answerBody(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** HTTP/1.1 with keep-alive to the gateway at `gatewayUrl`, each call bounded by `timeoutMs`. */
export function httpTransport(gatewayUrl: string, timeoutMs: number): GatewayTransport {
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  const url = new URL(gatewayUrl);
  return {
    send(method, path, body, headers) {
      const payload = body === undefined ? '' : JSON.stringify(body);
      const content = body === undefined ? {} : { 'content-type': 'application/json' };
      return new Promise((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            method,
            path,
            agent,
            headers: { ...content, 'content-length': Buffer.byteLength(payload), ...headers },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
              clearTimeout(timer);
              resolve({ status: res.statusCode ?? 0, body: answerBody(Buffer.concat(chunks).toString('utf8')) });
            });
          },
        );
        const timer = setTimeout(
          () => req.destroy(Object.assign(new Error('client timeout'), { code: 'ETIMEDOUT' })),
          timeoutMs,
        );
        req.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}

export class GatewayClient {
  private readonly transport: GatewayTransport;

  /** `gateway`: a real gateway's URL (over HTTP, with `timeoutMs` per call), or a transport of its own. */
  constructor(gateway: string | GatewayTransport, timeoutMs = 20_000) {
    this.transport = typeof gateway === 'string' ? httpTransport(gateway, timeoutMs) : gateway;
  }

  private send(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
    return this.transport.send(method, path, body, headers);
  }

  /** Creates a session; never throws: every outcome is a completion. */
  async createSession(value: CreateSessionValue): Promise<Completion> {
    const { requestId, ...body } = value;
    try {
      const r = await this.send('POST', '/v1/sessions', body, { 'idempotency-key': requestId });
      const b = r.body;
      if (r.status === 201)
        return {
          type: 'ok',
          value: defined({
            sessionId: b.sessionId,
            txnId: b.txnId,
            outcome: 'committed',
            kind: b.kind,
            revision: b.revision,
            timings: b.timings,
          }),
        };
      if (r.status === 409)
        return {
          type: 'fail',
          value: {
            status: 409,
            sessionId: b.sessionId,
            txnId: b.txnId,
            outcome: 'aborted',
            reason: b.reason,
            timings: b.timings,
          },
          error: 'aborted',
        };
      if (definite(r.status))
        return { type: 'fail', value: { status: r.status, reason: b.code }, error: String(b.code ?? r.status) };
      return { type: 'info', value: { status: r.status, reason: b.code }, error: String(b.code ?? `http ${r.status}`) };
    } catch (err) {
      return networkCompletion(err);
    }
  }

  /** Reads a session's record (`GET`); never throws. */
  async readSession(value: ReadSessionValue): Promise<Completion> {
    try {
      const r = await this.send('GET', sessionPath(value.sessionId), undefined, {});
      const b = r.body;
      if (r.status >= 200 && r.status < 300) {
        const { sessionId, revision, status, trafficClass, cells, txnId } = b;
        return { type: 'ok', value: defined({ sessionId, revision, status, trafficClass, cells, txnId }) };
      }
      const error = String(b.code ?? `http ${r.status}`);
      if (!definite(r.status)) return { type: 'info', value: { status: r.status }, error };
      return { type: 'fail', value: defined({ status: r.status, reason: b.code }), error };
    } catch (err) {
      return networkCompletion(err);
    }
  }

  /** Modifies a session (`PATCH`), with `If-Match` when `ifMatch` is set; never throws. */
  modifySession(value: ModifySessionValue): Promise<Completion> {
    const { trafficClass, cells } = value;
    return this.change('PATCH', value, defined({ trafficClass, cells }));
  }

  /** Releases a session (`DELETE`), with `If-Match` when `ifMatch` is set; never throws. */
  releaseSession(value: ReleaseSessionValue): Promise<Completion> {
    return this.change('DELETE', value, undefined);
  }

  private async change(method: string, value: ReleaseSessionValue, body: unknown): Promise<Completion> {
    const headers: Record<string, string> = { 'idempotency-key': value.requestId };
    if (value.ifMatch !== undefined) headers['if-match'] = `"${value.ifMatch}"`;
    try {
      const r = await this.send(method, sessionPath(value.sessionId), body, headers);
      const b = r.body;
      if (r.status >= 200 && r.status < 300) {
        const { txnId, kind, revision, timings } = b;
        const sessionId = b.sessionId ?? value.sessionId;
        return { type: 'ok', value: defined({ sessionId, txnId, outcome: 'committed', kind, revision, timings }) };
      }
      const error = String(b.code ?? `http ${r.status}`);
      if (!definite(r.status)) return { type: 'info', value: { status: r.status }, error };
      const { code, sessionId, txnId, outcome, revision } = b;
      const reason = b.reason ?? notActiveReason(b);
      return {
        type: 'fail',
        value: defined({ status: r.status, code, sessionId, txnId, outcome, reason, revision }),
        error,
      };
    } catch (err) {
      return networkCompletion(err);
    }
  }

  close(): void {
    this.transport.close();
  }
}
