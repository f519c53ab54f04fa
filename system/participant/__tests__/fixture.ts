// A private Postgres plus participant processes for the integration tests, with a signed client, direct database
// access for checking what really changed, and a teardown that always completes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { type RunningService, startService } from '../../../harness/cluster/service-process.ts';
import { type LocalEnvironmentHandle, startLocal } from '../../../harness/env/local.ts';
import { postgresUrl } from '../../../harness/env/types.ts';
import { systemClock } from '../../common/clock.ts';
import { Peer } from '../../common/peer.ts';
import type { PeerReply } from '../../common/peer-port.ts';
import { parseKeyRing } from '../../common/signing.ts';

export const hmacKeys = 'k1:integration-secret-0001,k2:integration-secret-0002';
export const ring = parseKeyRing(hmacKeys);

export type ParticipantService = 'resource-manager' | 'billing';

/** Signed calls to one participant. */
export class ParticipantClient {
  readonly peer: Peer;
  constructor(readonly url: string) {
    this.peer = new Peer('test', url, ring, systemClock());
  }
  private post(txnId: string, action: string, body: unknown): Promise<PeerReply<Record<string, unknown>>> {
    return this.peer.call('POST', `/v1/txn/${txnId}/${action}`, body, { timeoutMs: 15_000 });
  }
  prepare(txnId: string, body: Record<string, unknown>) {
    return this.post(txnId, 'prepare', { sessionId: `s-${txnId}`, protocol: '2pc', ...body });
  }
  precommit(txnId: string, token: number) {
    return this.post(txnId, 'precommit', { token });
  }
  commit(txnId: string, token: number) {
    return this.post(txnId, 'commit', { token });
  }
  abort(txnId: string, token: number) {
    return this.post(txnId, 'abort', { token });
  }
  status(txnId: string) {
    return this.peer.call<Record<string, unknown>>('GET', `/v1/txn/${txnId}`, undefined, { timeoutMs: 15_000 });
  }
  state() {
    return this.peer.call<Record<string, unknown>>('GET', '/v1/state', undefined, { timeoutMs: 15_000 });
  }
  close(): void {
    this.peer.close();
  }
}

export class Fixture {
  private readonly sqls: postgres.Sql[] = [];
  private readonly services: RunningService[] = [];
  private readonly clients: ParticipantClient[] = [];

  private constructor(
    readonly dir: string,
    readonly env: LocalEnvironmentHandle,
  ) {}

  static async start(): Promise<Fixture> {
    const dir = mkdtempSync(join(tmpdir(), 'rig-participant-'));
    try {
      return new Fixture(dir, await startLocal({ dir }));
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Creates the database `db` and starts a participant on it. */
  async startParticipant(
    service: ParticipantService,
    node: string,
    db: string,
    env: Record<string, string> = {},
    port?: number,
  ): Promise<RunningService> {
    if (port === undefined) await this.env.createDatabase(db);
    const running = await startService({
      service,
      node,
      logDir: join(this.dir, 'logs'),
      ...(port === undefined ? {} : { port }),
      env: {
        DATABASE_URL: postgresUrl(this.env.postgres, db),
        RIG_HMAC_KEYS: hmacKeys,
        RIG_SEED: '7',
        RIG_POOL_MAX: '8',
        ...env,
      },
    });
    this.services.push(running);
    return running;
  }

  client(running: RunningService): ParticipantClient {
    const c = new ParticipantClient(running.url);
    this.clients.push(c);
    return c;
  }

  db(name: string): postgres.Sql {
    const sql = postgres(postgresUrl(this.env.postgres, name), { max: 2, onnotice: () => {} });
    this.sqls.push(sql);
    return sql;
  }

  /** Observation lines (`obs` = kind) of a participant's log. */
  observations(node: string, kind: string): Array<Record<string, unknown>> {
    const text = readFileSync(join(this.dir, 'logs', `${node}.log`), 'utf8');
    return text
      .split('\n')
      .filter((l) => l.includes(`"obs":"${kind}"`))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Stops everything started here, in turn, whatever fails. */
  async stop(): Promise<void> {
    const failures: string[] = [];
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        failures.push(`${what}: ${(err as Error).message}`);
      }
    };
    for (const c of this.clients) c.close();
    for (const s of this.services) await step(s.spec.node, () => s.proc.stop('SIGTERM', 10_000));
    for (const sql of this.sqls) await step('sql', () => sql.end({ timeout: 5 }));
    await step('env', () => this.env.stop());
    rmSync(this.dir, { recursive: true, force: true });
    if (failures.length > 0) process.stderr.write(`participant fixture teardown: ${failures.join('; ')}\n`);
  }
}

/** Polls `probe` until it returns a value other than undefined; fails after `deadlineMs` saying what it waited for. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 20_000): Promise<T> {
  const started = Date.now();
  let delayMs = 20;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > deadlineMs) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delayMs));
    delayMs = Math.min(delayMs * 2, 200);
  }
}
