// Proves that buildSessionManager assembles a working session manager from its ports alone, with no real I/O: over
// in-memory fakes of the lease, DSM, stream, transaction log and participants (ioredis and postgres made
// unloadable), the elector takes the lease it is granted and raises the log's fence, and the POST /v1/sessions
// handler, called directly, runs a 2PC transaction to committed: intent, votes, decision, DSM PENDING -> PREPARED
// -> COMMITTED, commit to both participants, the row closed, and one event relayed to the stream. A lease held by
// another node gives not_leader with its name. The clock's timers never fire: only the work started directly (the
// elector's first campaign, the relay's kick after a decision) runs, so the test needs no waiting on time.
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { type Clock, systemClock, type TimerHandle } from '../../common/clock.ts';
import { isServiceError } from '../../common/errors.ts';
import { Faults } from '../../common/faults.ts';
import { createLogger } from '../../common/log.ts';
import { seededRandom } from '../../common/random.ts';
import type { ServiceParts } from '../../common/service.ts';
import { buildSessionManager } from '../build.ts';
import type { SessionManagerConfig } from '../config.ts';
import type { LeaseStore } from '../leader.ts';
import type { ParticipantClient, WaitSource } from '../participants.ts';
import type { Dsm, EventStream, StreamEvent, VersionedRecord } from '../store.ts';
import type { OutboxRow, TxLog, TxnRow } from '../txlog.ts';

vi.mock('ioredis', () => {
  throw new Error('the assembly loaded ioredis');
});
vi.mock('postgres', () => {
  throw new Error('the assembly loaded postgres');
});

const config: SessionManagerConfig = {
  leaseTtlMs: 3000,
  prepareTimeoutMs: 1000,
  phase2TimeoutMs: 1000,
  duplicateWaitMs: 1000,
  relayIntervalMs: 1000,
  relayLingerMs: 0,
  recoveryIntervalMs: 1000,
  abandonAfterMs: 10_000,
  scheduler: { workers: 2, queueMax: 8, agingMs: 1000, promotedTurnEvery: 4, queueWaitMaxMs: 5000 },
  detector: { mode: 'on', intervalMs: 100 },
  cells: 10,
  bugs: { staleLeader: false, noDecisionLog: false, earlyCommit: false, emitBeforeCommit: false },
};

/** Time stands at 1000 ms; timers are accepted and never fire; turns of the event loop are real. */
function stillClock(): Clock {
  const never = () => ({}) as TimerHandle;
  return {
    ...systemClock(),
    wallMs: () => 1000,
    monotonicMs: () => 1000,
    setTimeout: never,
    setInterval: never,
    clearTimeout: () => {},
    clearInterval: () => {},
    sleep: async () => {},
  };
}

function fakeLease(holder?: string): LeaseStore & { released: string[] } {
  return {
    released: [],
    acquire: async (node) => (holder ? { epoch: 0, holder } : { epoch: 1, holder: `${node}|1` }),
    renew: async () => true,
    async release(value) {
      this.released.push(value);
      return true;
    },
  };
}

/** The DSM's compare-and-swap, keeping every stage written. */
function fakeDsm(): Dsm & { records: Map<string, VersionedRecord>; stages: string[] } {
  return {
    records: new Map(),
    stages: [],
    async read(sessionId) {
      return this.records.get(sessionId);
    },
    async cas(expected, token, record) {
      const found = this.records.get(record.sessionId);
      if ((found?.version ?? 0) !== expected) throw new Error(`version ${found?.version}, not ${expected}`);
      this.records.set(record.sessionId, { record, version: expected + 1, token });
      this.stages.push(record.txnState);
      return expected + 1;
    },
  };
}

function fakeStream(): EventStream & { events: StreamEvent[] } {
  return {
    events: [],
    async emit(events) {
      return events.map((e) => {
        const { txnId, sessionId, outcome, decidedAtMs } = e;
        if (!this.events.some((x) => x.txnId === txnId)) this.events.push({ txnId, sessionId, outcome, decidedAtMs });
        return `${this.events.length}-0`;
      });
    },
  };
}

/** The log's rows and outbox; a decision lands once and adds its outbox row, as the real one does in one commit. */
class FakeTxLog implements TxLog {
  fence = 0;
  readonly rows = new Map<string, TxnRow>();
  readonly outbox: Array<OutboxRow & { streamId?: string }> = [];

  async raiseFence(token: number) {
    this.fence = Math.max(this.fence, token);
  }
  async insertIntent(row: Parameters<TxLog['insertIntent']>[0]) {
    if (row.idempotencyKey && (await this.byIdempotencyKey(row.idempotencyKey))) return 'duplicate-key' as const;
    this.rows.set(row.txnId, {
      ...row,
      decision: null,
      reason: null,
      decisionToken: null,
      precommitted: false,
      createdAtMs: 1000,
      closed: false,
    });
    return 'inserted' as const;
  }
  async precommit(): Promise<'precommitted'> {
    throw new Error('not used: 2PC only');
  }
  async decide(txnId: string, decision: TxnRow['decision'] & {}, reason: string | null, token: number) {
    const row = this.rows.get(txnId)!;
    if (row.decision === null) {
      Object.assign(row, { decision, reason, decisionToken: token });
      const { sessionId } = row;
      this.outbox.push({ id: this.outbox.length + 1, txnId, sessionId, outcome: decision, token, decidedAtMs: 1000 });
    }
    return { decision: row.decision!, reason: row.reason };
  }
  async close(txnId: string) {
    this.rows.get(txnId)!.closed = true;
  }
  async get(txnId: string) {
    return this.rows.get(txnId);
  }
  async many(txnIds: readonly string[]) {
    return txnIds.flatMap((id) => this.rows.get(id) ?? []);
  }
  async openCount() {
    return [...this.rows.values()].filter((r) => !r.closed).length;
  }
  async byIdempotencyKey(key: string) {
    return [...this.rows.values()].find((r) => r.idempotencyKey === key);
  }
  async unfinished(limit: number) {
    return [...this.rows.values()].filter((r) => !r.closed).slice(0, limit);
  }
  async unsentEvents(limit: number) {
    return this.outbox.filter((o) => o.streamId === undefined).slice(0, limit);
  }
  async markSent(sent: ReadonlyArray<{ id: number; streamId: string }>) {
    for (const s of sent) this.outbox.find((o) => o.id === s.id)!.streamId = s.streamId;
  }
}

/** A participant that votes yes and acknowledges everything, recording each call. */
function yesParticipant(name: string, calls: string[]): ParticipantClient & WaitSource {
  return {
    name,
    async prepare(txnId) {
      calls.push(`${name} prepare ${txnId}`);
      return { vote: 'yes' };
    },
    async send(phase, txnId) {
      calls.push(`${name} ${phase} ${txnId}`);
      return { ok: true };
    },
    state: async () => 'committed',
    waits: async () => [],
    cancel: async () => false,
  };
}

function build(lease: ReturnType<typeof fakeLease>) {
  const clock = stillClock();
  const calls: string[] = [];
  const participants = [yesParticipant('resource-manager', calls), yesParticipant('billing', calls)];
  const stores = { lease, dsm: fakeDsm(), stream: fakeStream(), txlog: new FakeTxLog() };
  const parts = buildSessionManager({
    config,
    node: 'sm-1',
    ...stores,
    participants,
    waitSources: participants,
    clock,
    random: seededRandom(7),
    logger: createLogger(
      'session-manager',
      'sm-1',
      () => clock.wallMs(),
      'error',
      () => {},
    ),
    registry: new Registry(),
    faults: new Faults(1, clock, (point) => {
      throw new Error(`crash point ${point} armed`);
    }),
  });
  return { parts, calls, ...stores };
}

/** What /healthz would add: the elector's status. */
function status(parts: ServiceParts) {
  return parts.health?.() as { role: string; ready: boolean; leader?: string } | undefined;
}

/** Lets the started work run, turn by turn, until `done` holds (at most 100 turns). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
}

function post(body: unknown) {
  const headers = { 'idempotency-key': 'key-1' };
  return { method: 'POST', path: '/v1/sessions', params: {}, query: new URLSearchParams(), headers, body };
}

const request = { subscriberId: 'imsi-001010000000001', trafficClass: 'voice', protocol: '2pc', cells: ['cell-3'] };

describe('buildSessionManager', () => {
  it('over in-memory ports, leads and commits a session: log, DSM, participants and one event', async () => {
    const { parts, calls, lease, dsm, stream, txlog } = build(fakeLease());
    await until(() => status(parts)?.ready === true);
    expect(txlog.fence).toBe(1);

    const route = parts.routes.find((r) => r.method === 'POST' && r.pattern === '/v1/sessions')!;
    const reply = await route.handler(post(request));
    expect(reply.status).toBe(201);
    const outcome = reply.body as { outcome: string; txnId: string; sessionId: string };
    expect(outcome.outcome).toBe('committed');
    const { txnId, sessionId } = outcome;

    await until(() => stream.events.length === 1 && txlog.rows.get(txnId)?.closed === true);
    expect(txlog.rows.get(txnId)).toMatchObject({ sessionId, token: 1, node: 'sm-1', decision: 'commit' });
    expect(txlog.outbox).toEqual([expect.objectContaining({ txnId, outcome: 'commit', streamId: '1-0' })]);
    expect(dsm.stages).toEqual(['PENDING', 'PREPARED', 'COMMITTED']);
    expect(dsm.records.get(sessionId)).toMatchObject({ version: 3, token: 1, record: { status: 'COMMITTED' } });
    expect(stream.events).toEqual([{ txnId, sessionId, outcome: 'commit', decidedAtMs: 1000 }]);
    for (const name of ['resource-manager', 'billing']) {
      expect(calls.filter((c) => c.startsWith(`${name} `))).toEqual([
        `${name} prepare ${txnId}`,
        `${name} commit ${txnId}`,
      ]);
    }

    await parts.close();
    expect(lease.released).toEqual(['sm-1|1']);
    expect(status(parts)?.role).toBe('follower');
  });

  it('with the lease held by another node, answers not_leader naming it and its epoch, and logs nothing', async () => {
    const { parts, txlog } = build(fakeLease('sm-2|5'));
    await until(() => status(parts)?.leader === 'sm-2');
    const route = parts.routes.find((r) => r.method === 'POST' && r.pattern === '/v1/sessions')!;
    const refused = await Promise.resolve(route.handler(post(request))).catch((err: unknown) => err);
    expect(isServiceError(refused) && refused.code).toBe('not_leader');
    expect(isServiceError(refused) && refused.details).toMatchObject({ leader: 'sm-2', epoch: 5 });
    expect(txlog.rows.size).toBe(0);
    await parts.close();
  });
});
