// After the quiet window: the servers' evidence, read straight from the stores and the services' observation log
// lines (not through the fault proxies), written as observations/*.jsonl in the shapes checkers/observations.ts
// defines. Server wall-clock times are placed on the history's time base.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type postgres from 'postgres';
import type { Observation } from '../../format/observations.ts';

type Sql = postgres.Sql;

export interface CollectInputs {
  runDir: string;
  redis: Redis;
  coordinator: Sql;
  participants: Record<'rm' | 'billing', Sql>;
  smNodes: readonly string[];
  /** Converts a server's wall-clock reading (ms) to ns on the history's time base. */
  wallToNs(ms: number): number;
  nowNs: number;
}

/** Observation lines (`obs` field) from one process's log. */
export function logObservations(runDir: string, node: string): Array<Record<string, unknown>> {
  let text = '';
  try {
    text = readFileSync(join(runDir, 'logs', `${node}.log`), 'utf8');
  } catch {
    return [];
  }
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"obs":')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by a SIGKILL: skip
    }
  }
  return out;
}

const ms = (d: unknown) => new Date(d as string).getTime();

async function txnRecords(c: CollectInputs, votes: Map<string, Record<string, 'yes' | 'no'>>): Promise<Observation[]> {
  const rows = await c.coordinator`SELECT * FROM txn ORDER BY created_at`;
  return rows.map((r) => {
    const key = r.idempotency_key as string | null;
    const request = r.request as { trafficClass?: 'voice' | 'video' | 'data' };
    const decided = r.decision === 'commit' ? 'committed' : r.decision === 'abort' ? 'aborted' : 'pending';
    return {
      kind: 'txn',
      txnId: r.txn_id,
      sessionId: r.session_id,
      ...(key?.startsWith('client:') ? { requestId: key.slice('client:'.length) } : {}),
      protocol: r.protocol,
      ...(request.trafficClass ? { trafficClass: request.trafficClass } : {}),
      participants: ['rm', 'billing'],
      state: decided,
      ...(votes.has(r.txn_id) ? { votes: votes.get(r.txn_id) } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      token: Number(r.token),
      ...(r.decision_token !== null ? { decisionToken: Number(r.decision_token) } : {}),
      createdAt: c.wallToNs(ms(r.created_at)),
      ...(r.decided_at ? { decidedAt: c.wallToNs(ms(r.decided_at)) } : {}),
      ...(r.decided_by ? { decidedBy: r.decided_by } : {}),
      ...(r.closed_at ? { endedAt: c.wallToNs(ms(r.closed_at)) } : {}),
    } as Observation;
  });
}

async function participantRecords(
  c: CollectInputs,
  name: 'rm' | 'billing',
  votes: Map<string, 'yes' | 'no'>,
): Promise<Observation[]> {
  const sql = c.participants[name];
  const out: Observation[] = [];
  for (const r of await sql`SELECT * FROM participant_txn`) {
    const vote = votes.get(r.txn_id);
    out.push({
      kind: 'participant',
      participant: name,
      txnId: r.txn_id,
      ...(vote ? { vote } : {}),
      state: r.state === 'committed' ? 'committed' : 'aborted',
      token: Number(r.token),
      at: c.wallToNs(ms(r.recorded_at)),
    } as Observation);
  }
  for (const r of await sql`SELECT gid, prepared FROM pg_prepared_xacts WHERE database = current_database()`) {
    const gid = String(r.gid);
    const txnId = gid.slice(gid.indexOf(':') + 1);
    out.push({
      kind: 'prepared',
      participant: name,
      gid,
      txnId,
      preparedAt: c.wallToNs(ms(r.prepared)),
      observedAt: c.nowNs,
    } as Observation);
    const vote = votes.get(txnId);
    out.push({
      kind: 'participant',
      participant: name,
      txnId,
      ...(vote ? { vote } : {}),
      state: 'prepared',
      token: 0,
      at: c.nowNs,
    } as Observation);
  }
  return out;
}

async function redisRecords(c: CollectInputs): Promise<Observation[]> {
  const out: Observation[] = [];
  const prefix = (c.redis.options.keyPrefix as string | undefined) ?? '';
  for (const line of await c.redis.lrange('dsm:audit', 0, -1)) {
    const a = JSON.parse(line) as {
      key: string;
      version: number;
      token: number;
      status: string;
      node: string;
      atMs: number;
    };
    const sessionId = a.key.slice(prefix.length).replace(/^dsm:session:/, '');
    out.push({
      kind: 'dsm',
      sessionId,
      version: a.version,
      state: a.status,
      token: a.token,
      node: a.node,
      at: c.wallToNs(a.atMs),
    } as Observation);
  }
  for (const [entryId, flat] of await c.redis.xrange('session-events', '-', '+')) {
    const f: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
    out.push({
      kind: 'event',
      entryId,
      sessionId: f.sessionId,
      txnId: f.txnId,
      outcome: f.outcome === 'commit' ? 'committed' : 'aborted',
      seq: Number(f.seq),
      token: Number(f.token),
      at: c.wallToNs(Number(entryId.split('-')[0])),
    } as Observation);
  }
  return out;
}

async function resourceSnapshot(c: CollectInputs, phase: 'initial' | 'final', at: number): Promise<Observation[]> {
  const out: Observation[] = [];
  for (const r of await c.participants.billing`SELECT id, balance, held FROM accounts ORDER BY id`) {
    // Committed holds are credit spent on live sessions; credit held by a prepared transaction is not visible here.
    out.push({
      kind: 'account',
      accountId: r.id,
      phase,
      balance: Number(r.balance),
      held: 0,
      spent: Number(r.held),
      at,
    } as Observation);
  }
  for (const r of await c.participants.rm`SELECT id, capacity, used FROM cells ORDER BY id`) {
    out.push({
      kind: 'cell',
      cellId: r.id,
      phase,
      capacity: r.capacity,
      free: r.capacity - r.used,
      held: 0,
      used: r.used,
      at,
    } as Observation);
  }
  return out;
}

/**
 * The coordinator database's fenced writes: each fence raise, each logged intent and each logged decision, with the
 * token it carried. All times are the database's own, so an intent or a decision under a lower token after a raise
 * is a stale write accepted. An intent's time is the start of its insert (created_at is now()), which is no later
 * than its fence check: an intent that passed the check took the fence row before any later raise could, so in a
 * correct system it is always dated before that raise.
 */
async function txlogWrites(c: CollectInputs): Promise<Observation[]> {
  // Times to the microsecond, as the database keeps them (a Date would cut them to the millisecond, and writes
  // dated to the same instant cannot be ordered).
  const db = c.coordinator;
  const [raises, intents, decisions] = await Promise.all([
    db`SELECT 'fence' AS key, NULL AS node, epoch AS token, extract(epoch FROM raised_at) * 1000 AS at_ms
       FROM fence_log`,
    db`SELECT 'intent:' || txn_id AS key, node, token, extract(epoch FROM created_at) * 1000 AS at_ms FROM txn`,
    db`SELECT txn_id AS key, decided_by AS node, decision_token AS token, extract(epoch FROM decided_at) * 1000 AS at_ms
       FROM txn WHERE decided_at IS NOT NULL`,
  ]);
  return [...raises, ...intents, ...decisions].map(
    (r) =>
      ({
        kind: 'fenced-write',
        store: 'txlog',
        key: String(r.key),
        ...(r.node !== null ? { node: String(r.node) } : {}),
        token: Number(r.token),
        accepted: true,
        at: c.wallToNs(Number(r.at_ms)),
      }) as Observation,
  );
}

/**
 * Wait-for edges (participants) and deadlocks (the leader's detector). Each is logged when found and again, with its
 * end, when gone; the later line is the one that counts.
 *
 * A participant killed while some of its prepares waited never logs their ends, and the process that replaces it
 * knows nothing of them: the waits of one incarnation (its log up to the next `listening`) still open when it died
 * end with its last line. The waiter is gone, and its transaction can never prepare, so PostgreSQL rolls it back
 * (at the latest when its statement's lock timeout fires) and no lock is left by it; locks that are left, whoever
 * holds them, are in the final `lock` snapshot, which liveness reports on its own.
 */
export function lockRecords(c: Pick<CollectInputs, 'runDir' | 'smNodes' | 'wallToNs'>): Observation[] {
  const waits = new Map<string, Record<string, unknown>>();
  for (const name of ['rm', 'billing']) {
    let open = new Map<string, Record<string, unknown>>();
    let lastT: unknown;
    for (const o of logObservations(c.runDir, name)) {
      if (o.obs === 'listening') {
        for (const w of open.values()) w.end = Math.max(Number(w.start), Number(lastT));
        open = new Map();
      }
      lastT = o.t;
      if (o.obs !== 'lock-wait') continue;
      const key = `${name}|${o.txnId}|${o.waitsFor}|${o.resource}|${o.start}`;
      const w: Record<string, unknown> = { ...o, participant: name };
      waits.set(key, w);
      if (w.end === undefined) open.set(key, w);
      else open.delete(key);
    }
  }
  const deadlocks = new Map<string, Record<string, unknown>>();
  for (const node of c.smNodes) {
    for (const o of logObservations(c.runDir, node)) {
      if (o.obs === 'deadlock') deadlocks.set(`${(o.cycle as string[]).join('>')}|${o.detectedAt}`, o);
    }
  }
  const out: Observation[] = [];
  for (const w of waits.values()) {
    out.push({
      kind: 'lock-wait',
      participant: String(w.participant),
      txnId: String(w.txnId),
      waitsFor: String(w.waitsFor),
      ...(w.resource !== undefined ? { resource: String(w.resource) } : {}),
      start: c.wallToNs(Number(w.start)),
      ...(w.end !== undefined ? { end: c.wallToNs(Number(w.end)) } : {}),
    } as Observation);
  }
  for (const d of deadlocks.values()) {
    out.push({
      kind: 'deadlock',
      cycle: d.cycle as string[],
      // A cycle broken by a lock timeout names its victim only once it is gone.
      victim: String(d.victim ?? 'unknown'),
      method: d.method as 'detector' | 'timeout',
      ...(d.formedAt !== undefined ? { formedAt: c.wallToNs(Number(d.formedAt)) } : {}),
      detectedAt: c.wallToNs(Number(d.detectedAt)),
      ...(d.resolvedAt !== undefined ? { resolvedAt: c.wallToNs(Number(d.resolvedAt)) } : {}),
    } as Observation);
  }
  return out;
}

/** The initial account/cell snapshot, taken before the workload starts. */
export async function collectInitial(c: CollectInputs): Promise<void> {
  write(c.runDir, 'resources-initial', await resourceSnapshot(c, 'initial', 0));
}

function leadershipRecords(c: CollectInputs): Observation[] {
  const out: Observation[] = [];
  for (const node of c.smNodes) {
    for (const o of logObservations(c.runDir, node)) {
      if (o.obs !== 'leadership') continue;
      const event = o.event === 'release' ? 'step-down' : o.event;
      if (event !== 'acquire' && event !== 'renew-failed' && event !== 'step-down') continue;
      out.push({ kind: 'leader', node, epoch: Number(o.epoch), event, at: c.wallToNs(Number(o.t)) } as Observation);
    }
  }
  return out;
}

function write(runDir: string, name: string, records: Observation[]): void {
  writeFileSync(
    join(runDir, 'observations', `${name}.jsonl`),
    records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''),
  );
}

/** Everything after the quiet window. Each source is written on its own, so one failing source loses only itself. */
export async function collectFinal(c: CollectInputs): Promise<string[]> {
  const problems: string[] = [];
  const txnVotes = new Map<string, Record<string, 'yes' | 'no'>>();
  for (const node of c.smNodes) {
    for (const o of logObservations(c.runDir, node)) {
      if (o.obs !== 'votes') continue;
      const v = o.votes as Record<string, { vote: 'yes' | 'no' }>;
      txnVotes.set(String(o.txnId), Object.fromEntries(Object.entries(v).map(([p, x]) => [p, x.vote])));
    }
  }
  const participantVotes = (name: string) => {
    const m = new Map<string, 'yes' | 'no'>();
    for (const o of logObservations(c.runDir, name))
      if (o.obs === 'vote') m.set(String(o.txnId), o.vote as 'yes' | 'no');
    return m;
  };
  const fenced = (['rm', 'billing'] as const).flatMap((name) =>
    logObservations(c.runDir, name)
      .filter((o) => o.obs === 'stale-token-rejected')
      .map(
        (o) =>
          ({
            kind: 'fenced-write',
            store: name,
            key: String(o.txnId),
            token: Number(o.token),
            accepted: false,
            at: c.wallToNs(Number(o.t)),
          }) as Observation,
      ),
  );
  const sources: Array<[string, () => Promise<Observation[]> | Observation[]]> = [
    ['txn', () => txnRecords(c, txnVotes)],
    ['rm', () => participantRecords(c, 'rm', participantVotes('rm'))],
    ['billing', () => participantRecords(c, 'billing', participantVotes('billing'))],
    ['redis', () => redisRecords(c)],
    ['leadership', () => leadershipRecords(c)],
    ['fenced-writes', () => fenced],
    ['txlog-writes', () => txlogWrites(c)],
    ['locks', () => lockRecords(c)],
    ['resources-final', () => resourceSnapshot(c, 'final', c.nowNs)],
  ];
  for (const [name, read] of sources) {
    try {
      write(c.runDir, name, await read());
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  return problems;
}
