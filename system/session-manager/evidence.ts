// The session manager's evidence for the rig, read from its own stores after a run: the transaction log and the
// fence raises (Postgres `coordinator`), the DSM audit list and the event stream (Redis). Only what was recorded: a
// value nothing recorded is left out, never stood in for.
import {
  type DsmOpRecord,
  type DsmRecord,
  dsmOpRecord,
  dsmRecord,
  type EventRecord,
  eventRecord,
  type FencedWriteRecord,
  type TxnRecord,
  txnRecord,
} from '../../format/observations.ts';
import type { Queryable } from '../common/statements.ts';
import { keys } from './store.ts';
import { txlogStatements as statements } from './txlog.ts';

/** Server wall-clock readings (ms) placed on the reader's time base (ns). */
export type ToNs = (wallMs: number) => number;

/**
 * The Redis reads the evidence needs, stated structurally: an ioredis client is one, and so is the simulator's
 * model of Redis (harness/sim/models/redis.ts). The same shapes as ioredis: JSON strings in the audit list, and each stream
 * entry as its id and a flat field, value, ... array.
 */
export interface RedisEvidenceSource {
  lrange(key: string, start: number, stop: number): Promise<string[]>;
  xrange(key: string, start: string, end: string): Promise<Array<[id: string, fields: string[]]>>;
  readonly options: { keyPrefix?: string };
}

type Votes = ReadonlyMap<string, Record<string, 'yes' | 'no'>>;

const clientKey = 'client:';

export interface TxnLogEvidence {
  txns: TxnRecord[];
  /**
   * The log's fenced writes: each fence raise (`fence`), each logged intent (`intent:<txnId>`) and each logged
   * decision (`<txnId>`), with the token it carried. All times are the database's own, so an intent or a decision
   * under a lower token after a raise is a stale write accepted. An intent's time is the start of its insert
   * (created_at is now()), which is no later than its fence check: an intent that passed the check took the fence
   * row before any later raise could, so in a correct system it is always dated before that raise.
   */
  writes: FencedWriteRecord[];
}

/** The transaction log as it stands, with the votes the coordinators logged (their log lines). */
export async function readTxnLog(sql: Queryable, votes: Votes, toNs: ToNs): Promise<TxnLogEvidence> {
  const [rows, raises] = await Promise.all([
    statements.run(sql, 'evidence_txn'),
    statements.run(sql, 'evidence_fence_log'),
  ]);
  const txns: TxnRecord[] = [];
  const writes: FencedWriteRecord[] = raises.map((r) => ({
    kind: 'fenced-write',
    store: 'txlog',
    key: 'fence',
    token: Number(r.epoch),
    accepted: true,
    at: toNs(Number(r.raised_ms)),
  }));
  const decisions: FencedWriteRecord[] = [];
  for (const r of rows) {
    const txnId = String(r.txn_id);
    const key = r.idempotency_key as string | null;
    const createdMs = Number(r.created_ms);
    const decidedMs = r.decided_ms === null ? undefined : Number(r.decided_ms);
    const raw = {
      kind: 'txn',
      txnId,
      sessionId: r.session_id,
      requestId: key?.startsWith(clientKey) ? key.slice(clientKey.length) : undefined,
      protocol: r.protocol,
      action: r.kind,
      trafficClass: r.traffic_class ?? undefined,
      participants: ['rm', 'billing'],
      state: r.decision === 'commit' ? 'committed' : r.decision === 'abort' ? 'aborted' : 'pending',
      votes: votes.get(txnId),
      reason: r.reason ?? undefined,
      token: Number(r.token),
      decisionToken: r.decision_token === null ? undefined : Number(r.decision_token),
      // As a Date reads them: to the millisecond.
      createdAt: toNs(Math.floor(createdMs)),
      decidedAt: decidedMs === undefined ? undefined : toNs(Math.floor(decidedMs)),
      decidedBy: r.decided_by ?? undefined,
      endedAt: r.closed_ms === null ? undefined : toNs(Math.floor(Number(r.closed_ms))),
    };
    txns.push(txnRecord.parse(raw, `txn ${txnId}`));
    const intent = { kind: 'fenced-write', store: 'txlog', node: String(r.node), accepted: true } as const;
    writes.push({ ...intent, key: `intent:${txnId}`, token: Number(r.token), at: toNs(createdMs) });
    if (decidedMs !== undefined && r.decision_token !== null) {
      const by = r.decided_by === null ? {} : { node: String(r.decided_by) };
      decisions.push({ ...intent, ...by, key: txnId, token: Number(r.decision_token), at: toNs(decidedMs) });
    }
  }
  return { txns, writes: [...writes, ...decisions] };
}

/** Transactions logged and not closed, and decided ones whose event the relay has not appended yet. */
export async function readUnfinished(sql: Queryable): Promise<{ open: number; unsent: number }> {
  const [row] = await statements.run(sql, 'evidence_unfinished');
  return { open: Number(row?.open), unsent: Number(row?.unsent) };
}

/**
 * The DSM's audit list, which the CAS script appends every write attempt to (with Redis's own clock): each accepted
 * write as a `dsm` record (the session record at that version), and every attempt, accepted or refused, as a
 * `dsm-op` (a cas of the record's version from the expected one to the written one), the store's own history.
 */
export async function readDsmAudit(redis: RedisEvidenceSource, toNs: ToNs): Promise<Array<DsmRecord | DsmOpRecord>> {
  const prefix = redis.options.keyPrefix ?? '';
  const sessionKey = `${prefix}${keys.session('')}`;
  const out: Array<DsmRecord | DsmOpRecord> = [];
  for (const [i, line] of (await redis.lrange(keys.dsmAudit, 0, -1)).entries()) {
    const where = `${keys.dsmAudit}[${i}]`;
    const a = JSON.parse(line) as Record<string, unknown>;
    const key = String(a.key);
    const sessionId = key.startsWith(sessionKey) ? key.slice(sessionKey.length) : key;
    const at = toNs(Number(a.atUs) / 1000);
    const txnId = typeof a.txnId === 'string' && a.txnId !== '' ? a.txnId : undefined;
    const outcome = a.outcome ?? 'ok';
    const op = {
      kind: 'dsm-op',
      node: a.node,
      key: sessionId,
      f: 'cas',
      value: [a.expected, outcome === 'ok' ? a.version : Number(a.expected) + 1],
      outcome: outcome === 'ok' ? 'ok' : 'fail',
      start: at,
      end: at,
      token: a.token,
      ...(txnId ? { txnId } : {}),
      ...(outcome === 'ok' ? {} : { refused: outcome }),
    };
    out.push(dsmOpRecord.parse(op, where));
    if (outcome !== 'ok') continue;
    const raw = {
      kind: 'dsm',
      sessionId,
      ...(txnId ? { txnId } : {}),
      version: a.version,
      state: a.status,
      ...(typeof a.session === 'string' ? { status: a.session } : {}),
      ...(typeof a.revision === 'number' ? { revision: a.revision } : {}),
      token: a.token,
      node: a.node,
      at,
    };
    out.push(dsmRecord.parse(raw, where));
  }
  return out;
}

/** Every entry of the event stream, in stream order, dated by its entry id (Redis's clock). */
export async function readEvents(redis: RedisEvidenceSource, toNs: ToNs): Promise<EventRecord[]> {
  const outcomes: Record<string, string> = { commit: 'committed', abort: 'aborted' };
  return (await redis.xrange(keys.stream, '-', '+')).map(([entryId, flat]) => {
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) f.set(flat[i]!, flat[i + 1]!);
    const raw = {
      kind: 'event',
      entryId,
      sessionId: f.get('sessionId'),
      txnId: f.get('txnId'),
      outcome: outcomes[f.get('outcome') ?? ''],
      seq: Number(f.get('seq')),
      token: Number(f.get('token')),
      at: toNs(Number(entryId.split('-')[0])),
    };
    return eventRecord.parse(raw, `${keys.stream} ${entryId}`);
  });
}
