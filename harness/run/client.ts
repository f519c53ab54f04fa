// The workload's client: one HTTP call to the gateway per op, and the completion it means (DESIGN section 3).
// ok: it happened (201). fail: it definitely did not (409 aborted, 400, 503, connection refused).
// info: unknown (504, a timeout, a reset after sending): it may have happened at any time after the invocation.
import { Agent, request } from 'node:http';

export interface Completion {
  type: 'ok' | 'fail' | 'info';
  value: Record<string, unknown>;
  error?: string;
}

const definiteNetworkErrors = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export class GatewayClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  private readonly url: URL;

  constructor(
    gatewayUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.url = new URL(gatewayUrl);
  }

  private send(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const payload = body === undefined ? '' : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            clearTimeout(timer);
            let parsed: Record<string, unknown> = {};
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
            } catch {
              // keep {}
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      const timer = setTimeout(
        () => req.destroy(Object.assign(new Error('client timeout'), { code: 'ETIMEDOUT' })),
        this.timeoutMs,
      );
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(payload);
    });
  }

  /** Creates a session; never throws: every outcome is a completion. */
  async createSession(value: {
    requestId: string;
    subscriberId: string;
    trafficClass: string;
    protocol: string;
    cells?: string[];
  }): Promise<Completion> {
    const { requestId, ...body } = value;
    try {
      const r = await this.send('POST', '/v1/sessions', body, { 'idempotency-key': requestId });
      const b = r.body;
      if (r.status === 201)
        return {
          type: 'ok',
          value: { sessionId: b.sessionId, txnId: b.txnId, outcome: 'committed', timings: b.timings },
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
      if (r.status === 400 || r.status === 503)
        return { type: 'fail', value: { status: r.status, reason: b.code }, error: String(b.code ?? r.status) };
      return { type: 'info', value: { status: r.status, reason: b.code }, error: String(b.code ?? `http ${r.status}`) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      if (definiteNetworkErrors.has(code)) return { type: 'fail', value: { reason: code }, error: code };
      return { type: 'info', value: { reason: code }, error: code };
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
