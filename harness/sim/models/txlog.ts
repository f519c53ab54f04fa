// A model of the PostgreSQL `coordinator` database as the session manager's transaction log uses it (DESIGN section
// 9): it implements the TxLog port directly, answering every call as the database answers the statement
// PostgresTxLog sends for it once that statement has committed. It re-implements, and follows (see `follows`):
//   system/session-manager/sql/0001..0004 (tables, defaults, the unique keys txn_id, idempotency_key, outbox.txn_id,
//     the CHECK on decision; storage settings change nothing observable), intent.sql and intent_batch.sql,
//     precommit.sql, decide.sql and decide_batch.sql, close.sql and close_batch.sql, fence_raise.sql, and the
//     evidence_*.sql statements (answered by name through `evidence`);
//   system/session-manager/txlog.ts: PostgresTxLog's inline statements (get, many, openCount, byIdempotencyKey,
//     unfinished, unsentEvents, markSent) and how it reads each statement's rows into an answer or a ServiceError.
//
// Time: now() and clock_timestamp() are the Clock's wallMs() (the database server's calendar clock, skewable),
// kept to the microsecond as timestamptz keeps it. A batch of the real adapter is, here, its calls one by one: each
// statement of a batch decides each of its rows exactly as a statement of its own would (the shared tests check it).
//
// The simplification: every call is one atomic step at the instant it reaches the model. On the real server a
// decision holds a share lock on the fence row from when its statement takes it until its transaction commits
// (decide.sql is one statement now; it was a transaction of several round trips, and any transaction that takes the
// row and then waits on its client holds it across them), and a raise, which takes the row exclusively, waits for
// it. A leader cut off in such a transaction keeps the lock until the server ends the idle transaction
// (idle_in_transaction_session_timeout, see main.ts). In the model nothing holds a lock across time: a raise can
// never wait behind a partitioned leader's decision, and a decision never waits for a row another writer holds (it
// lands before or after that writer's, never "meanwhile"). The orders of writes the model allows are those the real
// fence allows; what it leaves out is the waiting (a raise's latency, a decision that answers with the one that
// landed while it waited). Also not here: connection errors and deadlines (queryTimeoutMs), which belong to the
// simulated network in front of the model; errors of ours are ServiceErrors as PostgresTxLog throws them, and the
// server's own errors the model can meet (a taken txn id, a bigint parameter that is not a whole number) are
// ModelDbErrors with the server's SQLSTATE in `code`, as postgres.js gives them.
//
// Row order where a statement has no ORDER BY (many, evidence_fence_log) or ties it (same created_at): the order
// the rows were logged in. PostgreSQL promises none (a scan returns heap order, which updates change).
import type { Clock } from '../../../system/common/clock.ts';
import type { Decision, Protocol } from '../../../system/common/contract.ts';
import { ServiceError } from '../../../system/common/errors.ts';
import type { DbRow, Param, Queryable } from '../../../system/common/statements.ts';
import {
  type OutboxRow,
  type SessionRequest,
  type Standing,
  type TxLog,
  type TxnRow,
  txlogStatements,
} from '../../../system/session-manager/txlog.ts';

/** The files this model re-implements, with the SHA-256 of the version it follows (see the follows test). */
export const follows = {
  'system/session-manager/sql/0001_schema.sql': '2abea5bb6cf407e425881e8ed482d8ea0b2006d89a4ca68f313a03aea3091f04',
  'system/session-manager/sql/0002_precommit.sql': '5ef2b28920ceaf8ac4fe77f4fe9611185336e053cc3e28cc189ff6bf7eb1eefe',
  'system/session-manager/sql/0003_fence_log.sql': '92eeaf00238a23f0b1268fde317273d42ca9ec16ef31ca1ca8af986b07ee6f62',
  'system/session-manager/sql/0004_storage.sql': '35e62516abc1c616ecbf59e4403eb09182b7da1c60487da153a7f9214f2fb7f1',
  'system/session-manager/sql/intent.sql': '801dfaa5facb3fb91941164918613ab6771f7e1ae38e8a73e35d50db2aac6dd8',
  'system/session-manager/sql/intent_batch.sql': '10a3fb2348f6592d9e49fcf0152c9b6be514dc0e1754be6b4417b7ee02f510f6',
  'system/session-manager/sql/precommit.sql': 'c89b2514dbb14d42bc01a6888470d385f38960e9618aa7da3aa0b6a3d0f5b77d',
  'system/session-manager/sql/decide.sql': '9bd85571d29b31b04bed9a6a9c74a714a40da63566fa4c31271f22256b331943',
  'system/session-manager/sql/decide_batch.sql': 'ebe7880869470679f9caa06f5890b3e610c096d35f3e6eadda4d492c2853ad86',
  'system/session-manager/sql/close.sql': 'd00b7128805920ec14b9c184889519c428df5823ddbe431dca3929664615a003',
  'system/session-manager/sql/close_batch.sql': '7e363cf02a29dfd3309768bd99463394d12a4ac348046d9e3c3e87d04241ab18',
  'system/session-manager/sql/fence_raise.sql': '50a8653b17e260a240eb968e70a0b31bcd3cba8d64f47247c953721072f8296c',
  'system/session-manager/sql/evidence_txn.sql': '8d657c87a31d415a351e3247e482b4d03e98571dc8ff7b74c5893753ad2725c0',
  'system/session-manager/sql/evidence_fence_log.sql':
    '5be7f5f25c71123ac67784118c6e8c088bb38284278d45414d970546a69a8847',
  'system/session-manager/sql/evidence_unfinished.sql':
    '2403ce24de0b08fb3b99d10d53a64ec3c23af171ac7b98330f82f4c302c404a8',
  'system/session-manager/txlog.ts': '0109580119a608f29ab4c47676f487ee166cf1278cf5d68b46e28f6218bda35a',
} as const;

/** A `txn` row (times in microseconds of the server's wall clock; `request` as jsonb keeps it, as text). */
interface TxnTuple {
  /** The order rows were logged in (see "Row order" above). */
  seq: number;
  txnId: string;
  sessionId: string;
  protocol: Protocol;
  kind: string;
  state: 'started' | 'precommitted' | 'decided' | 'closed';
  token: number;
  node: string;
  request: string;
  idempotencyKey: string | null;
  decision: Decision | null;
  reason: string | null;
  decisionToken: number | null;
  decidedBy: string | null;
  createdUs: number;
  decidedUs: number | null;
  closedUs: number | null;
  precommitToken: number | null;
  precommittedUs: number | null;
}

/** An `outbox` row as the model keeps it; `outboxRows()` hands out copies, in id order. */
export interface ModelOutboxRow {
  id: number;
  txnId: string;
  sessionId: string;
  outcome: Decision;
  token: number;
  decidedAtMs: number;
  sentUs: number | null;
  streamId: string | null;
}

/** An error as postgres.js raises a server's ERROR: the SQLSTATE in `code`. */
export class ModelDbError extends Error {
  override readonly name = 'PostgresError';
  constructor(
    readonly code: string,
    message: string,
    readonly constraint_name?: string,
  ) {
    super(message);
  }
}

type IntentInput = Parameters<TxLog['insertIntent']>[0];

export class TxLogModel implements TxLog {
  private epoch = 0;
  private readonly txns = new Map<string, TxnTuple>();
  /** The unique index on idempotency_key (NULLs not in it, as in PostgreSQL). */
  private readonly byKey = new Map<string, TxnTuple>();
  /** The partial index txn_open: rows with closed_at IS NULL, in the order they were logged. */
  private readonly open = new Map<string, TxnTuple>();
  private readonly outbox = new Map<number, ModelOutboxRow>();
  /** The partial index outbox_unsent, in id order. */
  private readonly unsent = new Map<number, ModelOutboxRow>();
  private readonly outboxTxns = new Set<string>();
  private lastOutboxId = 0;
  /** fence_log: epoch -> raised_at (us). */
  private readonly fenceLog = new Map<number, number>();
  private readonly fencing: boolean;

  /** Answers the evidence statements by name (readTxnLog, readUnfinished run them). */
  readonly evidence: Queryable;

  /** `fencing`: as PostgresTxLog.open's checkTokens; false only for the planted bug no-fencing. */
  constructor(
    private readonly clock: Clock,
    opts: { fencing: boolean },
  ) {
    this.fencing = opts.fencing;
    this.evidence = { unsafe: async (text, params) => this.answerEvidence(text, params) };
  }

  /** now() and clock_timestamp(): the server's wall clock, to the microsecond. */
  private nowUs(): number {
    return Math.round(this.clock.wallMs() * 1000);
  }

  /** The fence guard of intent, precommit and decide: `(fence.epoch <= token OR NOT check)`. */
  private admits(token: number): boolean {
    return !this.fencing || this.epoch <= token;
  }

  // fence_raise.sql: GREATEST, and a log row when the fence now stands at this token (ON CONFLICT DO NOTHING keeps
  // the first raise's time). PostgresTxLog: stale unless the fence's epoch is the token.
  async raiseFence(token: number): Promise<void> {
    bigintParam(token);
    this.epoch = Math.max(this.epoch, token);
    if (this.epoch === token && !this.fenceLog.has(token)) this.fenceLog.set(token, this.nowUs());
    if (this.epoch !== token) throw stale(token, 'raise fence');
  }

  // intent.sql: inserted unless the fence refuses or the idempotency key is taken (ON CONFLICT on that index only: a
  // taken txn_id is a unique violation). PostgresTxLog: nothing inserted reads as 'duplicate-key' when a (truthy)
  // key is logged, whichever guard refused, else as stale.
  async insertIntent(row: IntentInput): Promise<'inserted' | 'duplicate-key'> {
    bigintParam(row.token);
    const keyTaken = row.idempotencyKey !== null && this.byKey.has(row.idempotencyKey);
    if (this.admits(row.token) && !keyTaken) {
      if (this.txns.has(row.txnId)) {
        throw new ModelDbError('23505', 'duplicate key value violates unique constraint "txn_pkey"', 'txn_pkey');
      }
      this.insert(row);
      return 'inserted';
    }
    if (row.idempotencyKey && keyTaken) return 'duplicate-key';
    throw stale(row.token, 'log intent');
  }

  private insert(row: IntentInput): void {
    const t: TxnTuple = {
      seq: this.txns.size,
      txnId: row.txnId,
      sessionId: row.sessionId,
      protocol: row.protocol,
      kind: row.kind,
      state: 'started',
      token: row.token,
      node: row.node,
      request: jsonb(row.request),
      idempotencyKey: row.idempotencyKey,
      decision: null,
      reason: null,
      decisionToken: null,
      decidedBy: null,
      createdUs: this.nowUs(),
      decidedUs: null,
      closedUs: null,
      precommitToken: null,
      precommittedUs: null,
    };
    this.txns.set(t.txnId, t);
    this.open.set(t.txnId, t);
    if (t.idempotencyKey !== null) this.byKey.set(t.idempotencyKey, t);
  }

  // precommit.sql: updated when the row exists, is undecided and the fence admits (a pre-committed row again too).
  // PostgresTxLog: stale first (even over a standing decision), then pre-committed, the decision, or not found.
  async precommit(txnId: string, token: number): Promise<'precommitted' | Standing> {
    bigintParam(token);
    const t = this.txns.get(txnId);
    const updated = t !== undefined && t.decision === null && this.admits(token);
    if (updated) {
      t.state = 'precommitted';
      t.precommitToken = token;
      t.precommittedUs = this.nowUs();
    }
    if (!this.admits(token)) throw stale(token, 'log pre-commit');
    if (updated) return 'precommitted';
    if (t?.decision) return { decision: t.decision, reason: t.reason };
    throw new ServiceError('not_found', `transaction ${txnId} has no intent row`);
  }

  // decide.sql: decided, with its outbox row, when the row exists, is undecided and the fence admits. PostgresTxLog:
  // ours, else a standing decision (even to a fenced writer), else stale (saying whether a pre-commit is logged),
  // else not found.
  async decide(
    txnId: string,
    decision: Decision,
    reason: string | null,
    token: number,
    node: string,
    nowMs: number,
  ): Promise<Standing> {
    bigintParam(token);
    bigintParam(nowMs);
    const t = this.txns.get(txnId);
    if (t !== undefined && t.decision === null && this.admits(token)) {
      if (decision !== 'commit' && decision !== 'abort') {
        throw new ModelDbError('23514', 'new row for relation "txn" violates check constraint "txn_decision_check"');
      }
      t.decision = decision;
      t.reason = reason;
      t.decisionToken = token;
      t.decidedBy = node;
      t.decidedUs = this.nowUs();
      t.state = 'decided';
      this.addOutbox({ txnId, sessionId: t.sessionId, outcome: decision, token, decidedAtMs: nowMs });
      return { decision, reason };
    }
    if (t?.decision) return { decision: t.decision, reason: t.reason };
    if (!this.admits(token)) throw stale(token, 'log decision', { precommitted: t?.precommittedUs != null });
    throw new ServiceError('not_found', `transaction ${txnId} has no intent row`);
  }

  private addOutbox(row: Omit<ModelOutboxRow, 'id' | 'sentUs' | 'streamId'>): void {
    // outbox.txn_id is UNIQUE, and a row gets its decision once: a second outbox row cannot arise.
    if (this.outboxTxns.has(row.txnId)) throw new Error(`txlog model: a second outbox row for ${row.txnId}`);
    const r: ModelOutboxRow = { id: ++this.lastOutboxId, ...row, sentUs: null, streamId: null };
    this.outbox.set(r.id, r);
    this.unsent.set(r.id, r);
    this.outboxTxns.add(r.txnId);
  }

  // close.sql: closed when the row exists, is open and fence.epoch <= token, always (no `check` parameter: the
  // planted bug no-fencing leaves closes fenced). Nothing else is an error.
  async close(txnId: string, token: number): Promise<void> {
    bigintParam(token);
    const t = this.open.get(txnId);
    if (t === undefined || this.epoch > token) return;
    t.closedUs = this.nowUs();
    t.state = 'closed';
    this.open.delete(txnId);
  }

  async get(txnId: string): Promise<TxnRow | undefined> {
    const t = this.txns.get(txnId);
    return t && toRow(t);
  }

  async many(txnIds: readonly string[]): Promise<TxnRow[]> {
    const found: TxnTuple[] = [];
    for (const id of new Set(txnIds)) {
      const t = this.txns.get(id);
      if (t) found.push(t);
    }
    return found.sort((a, b) => a.seq - b.seq).map(toRow);
  }

  async openCount(): Promise<number> {
    return this.open.size;
  }

  async byIdempotencyKey(key: string): Promise<TxnRow | undefined> {
    const t = this.byKey.get(key);
    return t && toRow(t);
  }

  // closed_at IS NULL AND (decided_at IS NULL OR decided_at < clock_timestamp() - settleMs) ORDER BY created_at.
  async unfinished(limit: number, settleMs: number): Promise<TxnRow[]> {
    const cutoffUs = this.nowUs() - Math.round(settleMs * 1000);
    const rows = [...this.open.values()].filter((t) => t.decidedUs === null || t.decidedUs < cutoffUs);
    return rows
      .sort((a, b) => a.createdUs - b.createdUs)
      .slice(0, limit)
      .map(toRow);
  }

  async unsentEvents(limit: number): Promise<OutboxRow[]> {
    const out: OutboxRow[] = [];
    for (const r of this.unsent.values()) {
      if (out.length >= limit) break;
      const { id, txnId, sessionId, outcome, token, decidedAtMs } = r;
      out.push({ id, txnId, sessionId, outcome, token, decidedAtMs });
    }
    return out;
  }

  // Every listed row, sent or not (no sent_at guard), gets sent_at = now() and its stream id (the last one listed).
  async markSent(sent: ReadonlyArray<{ id: number; streamId: string }>): Promise<void> {
    if (sent.length === 0) return;
    const streamIds = new Map(sent.map((s) => [s.id, s.streamId]));
    const at = this.nowUs();
    for (const [id, streamId] of streamIds) {
      const r = this.outbox.get(id);
      if (!r) continue;
      r.sentUs = at;
      r.streamId = streamId;
      this.unsent.delete(id);
    }
  }

  /** The outbox as it stands (copies, in id order): what tests and a simulation's own checks read. */
  outboxRows(): ModelOutboxRow[] {
    return [...this.outbox.values()].map((r) => ({ ...r }));
  }

  /** The evidence statements, recognised by their text; any other statement is an error that names it. */
  private answerEvidence(text: string, _params: Param[] | undefined): DbRow[] {
    if (text === txlogStatements.text('evidence_txn')) return this.evidenceTxn();
    if (text === txlogStatements.text('evidence_fence_log')) {
      return [...this.fenceLog].map(([epoch, us]) => ({ epoch: String(epoch), raised_ms: msNumeric(us) }));
    }
    if (text === txlogStatements.text('evidence_unfinished'))
      return [{ open: this.open.size, unsent: this.unsent.size }];
    const ours = methodStatements.find((name) => text === txlogStatements.text(name));
    if (ours) throw new Error(`txlog model: ${ours}.sql is answered through the TxLog methods, not as a query`);
    throw new Error(`txlog model: no evidence statement ${JSON.stringify(firstLine(text))}`);
  }

  private evidenceTxn(): DbRow[] {
    const rows = [...this.txns.values()].sort((a, b) => a.createdUs - b.createdUs);
    return rows.map((t) => ({
      txn_id: t.txnId,
      session_id: t.sessionId,
      protocol: t.protocol,
      kind: t.kind,
      traffic_class: textOf((JSON.parse(t.request) as Record<string, unknown>).trafficClass),
      idempotency_key: t.idempotencyKey,
      node: t.node,
      token: String(t.token),
      decision: t.decision,
      reason: t.reason,
      decision_token: t.decisionToken === null ? null : String(t.decisionToken),
      decided_by: t.decidedBy,
      created_ms: msNumeric(t.createdUs),
      decided_ms: t.decidedUs === null ? null : msNumeric(t.decidedUs),
      closed_ms: t.closedUs === null ? null : msNumeric(t.closedUs),
    }));
  }
}

/** The statements PostgresTxLog sends itself, which the model answers as TxLog methods. */
const methodStatements = [
  'intent',
  'intent_batch',
  'precommit',
  'decide',
  'decide_batch',
  'close',
  'close_batch',
  'fence_raise',
];

/** As PostgresTxLog's toRow reads a `SELECT *` row (a timestamptz as a Date: to the millisecond). */
function toRow(t: TxnTuple): TxnRow {
  return {
    txnId: t.txnId,
    sessionId: t.sessionId,
    protocol: t.protocol,
    kind: t.kind,
    token: t.token,
    node: t.node,
    request: JSON.parse(t.request) as SessionRequest,
    idempotencyKey: t.idempotencyKey,
    decision: t.decision,
    reason: t.reason,
    decisionToken: t.decisionToken,
    precommitted: t.precommittedUs !== null,
    createdAtMs: Math.floor(t.createdUs / 1000),
    closed: t.closedUs !== null,
  };
}

function stale(token: number, what: string, details: Record<string, unknown> = {}): ServiceError {
  return new ServiceError('stale_token', `${what}: a newer leader has fenced token ${token}`, { token, ...details });
}

/** A number bound to a bigint parameter: postgres.js sends its text, which the server parses or refuses. */
function bigintParam(n: number): void {
  if (!Number.isSafeInteger(n)) {
    throw new ModelDbError('22P02', `invalid input syntax for type bigint: "${String(n)}"`);
  }
}

/** `extract(epoch FROM t) * 1000` as postgres.js returns that numeric: a string with six decimals. */
function msNumeric(us: number): string {
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}000`;
}

/** `->>`: a JSON string as itself, SQL NULL for JSON null or a missing key, anything else as jsonb's text of it. */
function textOf(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : jsonbText(v);
}

function jsonbText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${jsonbText(x)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(v);
}

/** A value as jsonb stores it (postgres.js sends JSON.stringify's text): object keys shortest first, then by bytes. */
function jsonb(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const keys = Object.keys(v).sort(jsonbKeyOrder);
    return Object.fromEntries(keys.map((k) => [k, (v as Record<string, unknown>)[k]]));
  });
}

function jsonbKeyOrder(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length - y.length || Buffer.compare(x, y);
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('--')) ?? text.slice(0, 80);
}
