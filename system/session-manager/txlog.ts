// The transaction log in the coordinator database (spec section 5): the intent is durable before any participant
// is contacted; the decision is durable before phase 2 (presumed abort); decision and outbox row commit together.
// Every write is fenced: it takes a share lock on the fence row and succeeds only while fence.epoch <= our token,
// so once a newer leader has raised the fence, no write of an older one can land.
import { fileURLToPath } from 'node:url';
import { Batcher, type BatcherOptions } from '../common/batcher.ts';
import { type Clock, systemClock } from '../common/clock.ts';
import type {
  CreateSessionRequest,
  Decision,
  Holding,
  Protocol,
  Revision,
  TrafficClass,
  TxnKind,
} from '../common/contract.ts';
import { ServiceError } from '../common/errors.ts';
import { migrate, type Sql, withDeadline } from '../common/pg.ts';
import { Statements } from '../common/statements.ts';

/**
 * A session transaction as the coordinator runs it and logs it: the session's class and cells once it commits, and
 * what it then holds (`cells`, `amount`: a release holds nothing); for a modify or release, `base`: the session as
 * the transaction found it, which it gives back and which stays if it aborts.
 */
/** What a client asks of an active session: a modify (what is absent stays) or its release. */
export type SessionChange = { kind: 'modify'; trafficClass?: TrafficClass; cells?: string[] } | { kind: 'release' };

export interface SessionRequest extends Required<CreateSessionRequest>, Holding {
  /** Absent in rows logged before sessions could change: create. */
  kind?: TxnKind;
  base?: SessionBase;
  /**
   * modify, release: the revision the client's `If-Match` named. Absent when the change was unconditional (no
   * If-Match, or `*`), and in rows logged before this field was, which read as unconditional. Logged so that a
   * request repeating the idempotency key can be told apart from a retry (duplicates.ts).
   */
  ifMatch?: Revision;
}

/** A session as a modify or release found it: its DSM version (which the claim expects), revision and holding. */
export interface SessionBase extends Holding {
  trafficClass: TrafficClass;
  version: number;
  revision: Revision;
}

export interface TxnRow {
  txnId: string;
  sessionId: string;
  protocol: Protocol;
  kind: string;
  token: number;
  node: string;
  request: SessionRequest;
  idempotencyKey: string | null;
  decision: Decision | null;
  reason: string | null;
  decisionToken: number | null;
  /** 3PC: the decision to pre-commit is logged (all voted yes; pre-commits may have been sent). */
  precommitted: boolean;
  createdAtMs: number;
  closed: boolean;
}

export interface OutboxRow {
  id: number;
  txnId: string;
  sessionId: string;
  outcome: Decision;
  token: number;
  decidedAtMs: number;
}

/** The transaction log as the coordinator sees it; narrow, so a simulation can provide its own. */
export type Standing = { decision: Decision; reason: string | null };

export interface TxLog {
  raiseFence(token: number): Promise<void>;
  insertIntent(
    row: Omit<TxnRow, 'decision' | 'reason' | 'decisionToken' | 'precommitted' | 'createdAtMs' | 'closed'>,
  ): Promise<'inserted' | 'duplicate-key'>;
  /** 3PC: logs the decision to pre-commit unless a decision is logged already; then returns that one. */
  precommit(txnId: string, token: number): Promise<'precommitted' | Standing>;
  /** Logs the decision if none is logged yet; returns the decision that stands. */
  decide(
    txnId: string,
    decision: Decision,
    reason: string | null,
    token: number,
    node: string,
    nowMs: number,
  ): Promise<Standing>;
  close(txnId: string, token: number): Promise<void>;
  get(txnId: string): Promise<TxnRow | undefined>;
  /** The rows of these txns that exist (the deadlock detector's view of their age and state). */
  many(txnIds: readonly string[]): Promise<TxnRow[]>;
  /** Transactions logged and not yet closed. */
  openCount(): Promise<number>;
  byIdempotencyKey(key: string): Promise<TxnRow | undefined>;
  /**
   * Open transactions, oldest first; a decided one only once its decision is `settleMs` old (until then its
   * coordinator is still driving phase 2 itself, and re-driving it alongside only doubles the messages).
   */
  unfinished(limit: number, settleMs: number): Promise<TxnRow[]>;
  unsentEvents(limit: number): Promise<OutboxRow[]>;
  /** Marks these outbox rows sent, with their stream entry ids, in one statement. */
  markSent(sent: ReadonlyArray<{ id: number; streamId: string }>): Promise<void>;
}

export const migrationsDir = fileURLToPath(new URL('./sql', import.meta.url));
/** The log's statements (sql/*.sql), also issued by the bench's storage floor. */
export const txlogStatements = Statements.load('session-manager', new URL('./sql/', import.meta.url));
const statements = txlogStatements;

type Raw = Record<string, unknown>;

function toRow(r: Raw): TxnRow {
  return {
    txnId: String(r.txn_id),
    sessionId: String(r.session_id),
    protocol: r.protocol as Protocol,
    kind: String(r.kind),
    token: Number(r.token),
    node: String(r.node),
    request: r.request as SessionRequest,
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    decision: (r.decision as Decision | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    decisionToken: r.decision_token === null ? null : Number(r.decision_token),
    precommitted: r.precommitted_at !== null && r.precommitted_at !== undefined,
    createdAtMs: new Date(r.created_at as string).getTime(),
    closed: r.closed_at !== null,
  };
}

/** The decision a log row holds (its `decision` column set). */
function standingOf(r: Raw): Standing {
  return { decision: r.decision as Decision, reason: (r.reason as string | null) ?? null };
}

function stale(token: number, what: string, details: Record<string, unknown> = {}): ServiceError {
  return new ServiceError('stale_token', `${what}: a newer leader has fenced token ${token}`, { token, ...details });
}

type IntentInput = Parameters<TxLog['insertIntent']>[0];
type DecisionInput = {
  txnId: string;
  decision: Decision;
  reason: string | null;
  token: number;
  node: string;
  nowMs: number;
};

/** Group commit of the log's three writes on every transaction's path: intents, decisions or closes per statement
 * at most (1: a statement each), and statements of one kind in flight at once (see `Batcher`). */
export type LogBatching = Omit<BatcherOptions<unknown>, 'key' | 'lingerMs'> & {
  /** Closes wait this long to share a statement (no caller waits on a close; recovery leaves a decided row to its
   * coordinator for far longer). */
  closeLingerMs?: number;
};

// Two statements of a kind in flight: a call waits at most for one of them to end. Group commit with one in flight
// beat no grouping (system/floor 0.64 against 0.55, 2026-11-29); once a batch no longer scanned the table (see
// `planned`), two in flight against one, five rounds each at concurrency 32: best 518 to 603 tx/s against 509 to
// 605, half-load p99 33 to 44 ms in every run against 34 to 60 (two runs of five over 50).
export const defaultBatching: LogBatching = { maxBatch: 64, maxInFlight: 2, closeLingerMs: 20 };

export class PostgresTxLog implements TxLog {
  private readonly intents: Batcher<IntentInput, boolean>;
  private readonly decisions: Batcher<DecisionInput, Raw>;
  private readonly closes: Batcher<{ txnId: string; token: number }, undefined>;

  constructor(
    private readonly sql: Sql,
    private readonly queryTimeoutMs: number,
    /** False only for the planted bug no-fencing: intents and decisions are logged whatever the writer's token. */
    private readonly checkTokens = true,
    batching: LogBatching = defaultBatching,
    /** Times the batches' linger. */
    clock: Clock = systemClock(),
  ) {
    // A call's deadline (queryTimeoutMs) starts when its statement is sent, so it may first wait for the one in
    // flight: with one in flight and fewer workers than maxBatch, at most one statement.
    this.intents = new Batcher((rows) => this.writeIntents(rows), batching, clock);
    // Two decisions for one transaction (the coordinator's and the deadlock detector's) go in separate
    // statements, so the second sees the first and the one UPDATE never meets a row twice.
    this.decisions = new Batcher((rows) => this.writeDecisions(rows), { ...batching, key: (d) => d.txnId }, clock);
    const closing = { ...batching, lingerMs: batching.closeLingerMs ?? 0 };
    this.closes = new Batcher((rows) => this.writeCloses(rows), closing, clock);
  }

  static async open(
    sql: Sql,
    queryTimeoutMs: number,
    checkTokens = true,
    batching: LogBatching = defaultBatching,
    clock: Clock = systemClock(),
  ): Promise<PostgresTxLog> {
    await migrate(sql, migrationsDir);
    return new PostgresTxLog(sql, queryTimeoutMs, checkTokens, batching, clock);
  }

  /** A decision or pre-commit may land only while no newer leader has raised the fence. */
  private isStale(fenceEpoch: unknown, token: number): boolean {
    return this.checkTokens && Number(fenceEpoch) > token;
  }

  /**
   * A statement that joins txn to a batch, planned at every run (an unnamed statement). Prepared, its plan was made
   * once, while the table was nearly empty, as a scan of txn, and kept as the table grew: in a bench, 3.5 ms a
   * statement (700 pages read) at 8,000 rows where a one-row decision took 0.16 ms. Planned for the table as it is,
   * it looks the rows up by key. A plan costs far less than that scan, and only batches of two or more pay it.
   */
  private planned(text: string, params: unknown[]) {
    return this.sql.unsafe(text, params as never[], { prepare: false });
  }

  private run<T>(work: Promise<T>, what: string): Promise<T> {
    return withDeadline(work, this.queryTimeoutMs, what);
  }

  async raiseFence(token: number): Promise<void> {
    const rows = await this.run(statements.run(this.sql, 'fence_raise', [token]), 'raise fence');
    if (Number(rows[0]?.epoch) !== token) throw stale(token, 'raise fence');
  }

  async insertIntent(row: IntentInput): Promise<'inserted' | 'duplicate-key'> {
    if (await this.intents.submit(row)) return 'inserted';
    if (row.idempotencyKey && (await this.byIdempotencyKey(row.idempotencyKey))) return 'duplicate-key';
    throw stale(row.token, 'log intent');
  }

  /** Inserts the intents the fence lets through, except those whose idempotency key is logged already (by an
   * earlier statement or earlier in this one); says which were inserted. */
  private async writeIntents(rows: IntentInput[]): Promise<boolean[]> {
    if (rows.length === 1) return [await this.writeIntent(rows[0]!)];
    // The batch goes as one JSON array of the calls' own objects; the record set names their (camelCase) keys.
    const inserted = await this.run(
      statements.run(this.sql, 'intent_batch', [this.sql.json(rows as never), this.checkTokens]),
      `log ${rows.length} intents`,
    );
    const landed = new Set(inserted.map((r) => String(r.txn_id)));
    return rows.map((r) => landed.has(r.txnId));
  }

  /** One intent alone: the statements for many cost a few tenths of a millisecond more each, so a lone call (light
   * load) keeps the plain statement. */
  private async writeIntent(row: IntentInput): Promise<boolean> {
    const { txnId, sessionId, protocol, kind, token, node, request, idempotencyKey } = row;
    const params = [txnId, sessionId, protocol, kind, token, node, this.sql.json(request as never), idempotencyKey];
    const rows = await this.run(statements.run(this.sql, 'intent', [...params, this.checkTokens]), 'log intent');
    return rows.length === 1;
  }

  /**
   * Logs the decision to pre-commit, fenced as a decision is, in one statement (it was a transaction of four round
   * trips); or says the decision that stands.
   */
  async precommit(txnId: string, token: number): Promise<'precommitted' | Standing> {
    const [row] = await this.run(
      statements.run(this.sql, 'precommit', [txnId, token, this.checkTokens]),
      'log pre-commit',
    );
    if (this.isStale(row?.epoch, token)) throw stale(token, 'log pre-commit');
    if (row?.precommitted) return 'precommitted';
    // Undecided when the statement began, and not updated: a decision landed while the update waited for the row.
    const standing = row?.decision ? standingOf(row) : await this.standingNow(txnId);
    if (!standing) throw new ServiceError('not_found', `transaction ${txnId} has no intent row`);
    return standing;
  }

  /** The decision the row holds now, read in a statement of its own; undefined when undecided or absent. */
  private async standingNow(txnId: string): Promise<Standing | undefined> {
    const [row] = await this.run(this.sql`SELECT decision, reason FROM txn WHERE txn_id = ${txnId}`, 'read decision');
    return row?.decision ? standingOf(row) : undefined;
  }

  async decide(txnId: string, decision: Decision, reason: string | null, token: number, node: string, nowMs: number) {
    const row = await this.decisions.submit({ txnId, decision, reason, token, node, nowMs });
    if (row.decided) return { decision, reason };
    // A decision that stands is the answer even to a fenced writer: it may be this coordinator's own, landed
    // although the reply was lost (a timeout, a pause), and saying "fenced" then would read as "aborted".
    if (row.decision) return standingOf(row);
    // Undecided when the statement began and not decided by us: another decision may have landed meanwhile (our
    // update waited for it, then found the row decided). Read it.
    const now = await this.standingNow(txnId);
    if (now) return now;
    if (this.isStale(row.epoch, token)) {
      // Whether the newer leader will commit it (3PC) depends on the pre-commit the log holds, so say so.
      throw stale(token, 'log decision', { precommitted: row.precommitted === true });
    }
    throw new ServiceError('not_found', `transaction ${txnId} has no intent row`);
  }

  /** Per decision: the fence's epoch, whether this statement decided it, and the row as the statement began. */
  private async writeDecisions(rows: DecisionInput[]): Promise<Raw[]> {
    if (rows.length === 1) return [await this.writeDecision(rows[0]!)];
    // One statement, so one round trip and no transaction left open across the network: the fence row is
    // share-locked (f) before any decision can be written (d joins f), and held until the implicit commit, so a
    // fence raise either waits for these decisions or is seen by them, as with a SELECT ... FOR SHARE first. The
    // outbox rows commit with the decisions. `t` is each row as it was when the statement began, looked up by its
    // key: as a plain join the planner, guessing 100 rows from the JSON, hashed the whole txn table every time.
    const out = await this.run(
      this.planned(statements.text('decide_batch'), [this.sql.json(rows as never), this.checkTokens]),
      `log ${rows.length} decisions`,
    );
    const byTxn = new Map(out.map((r) => [String(r.txn_id), r as Raw]));
    return rows.map((r) => byTxn.get(r.txnId)!);
  }

  /** One decision alone, as writeDecisions does it for many. */
  private async writeDecision(r: DecisionInput): Promise<Raw> {
    const params = [r.txnId, r.decision, r.reason, r.token, r.node, r.nowMs, this.checkTokens];
    const rows = await this.run(statements.run(this.sql, 'decide', params), 'log decision');
    return rows[0] as Raw;
  }

  async close(txnId: string, token: number): Promise<void> {
    await this.closes.submit({ txnId, token });
  }

  private async writeCloses(rows: Array<{ txnId: string; token: number }>): Promise<undefined[]> {
    if (rows.length === 1) {
      const { txnId, token } = rows[0]!;
      await this.run(statements.run(this.sql, 'close', [txnId, token]), 'close transaction');
      return [undefined];
    }
    await this.run(
      this.planned(statements.text('close_batch'), [this.sql.json(rows as never)]),
      `close ${rows.length} transactions`,
    );
    return rows.map(() => undefined);
  }

  async get(txnId: string): Promise<TxnRow | undefined> {
    const rows = await this.run(this.sql`SELECT * FROM txn WHERE txn_id = ${txnId}`, 'read transaction');
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  async many(txnIds: readonly string[]): Promise<TxnRow[]> {
    if (txnIds.length === 0) return [];
    const rows = await this.run(
      this.sql`SELECT * FROM txn WHERE txn_id IN ${this.sql(txnIds as string[])}`,
      'read transactions',
    );
    return rows.map(toRow);
  }

  async openCount(): Promise<number> {
    const rows = await this.run(
      this.sql`SELECT count(*)::int AS n FROM txn WHERE closed_at IS NULL`,
      'count open transactions',
    );
    return Number(rows[0]?.n ?? 0);
  }

  async byIdempotencyKey(key: string): Promise<TxnRow | undefined> {
    const rows = await this.run(this.sql`SELECT * FROM txn WHERE idempotency_key = ${key}`, 'read idempotency key');
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  async unfinished(limit: number, settleMs: number): Promise<TxnRow[]> {
    const rows = await this.run(
      this.sql`SELECT * FROM txn
               WHERE closed_at IS NULL
                 AND (decided_at IS NULL OR decided_at < clock_timestamp() - ${settleMs} * interval '1 millisecond')
               ORDER BY created_at LIMIT ${limit}`,
      'read unfinished transactions',
    );
    return rows.map(toRow);
  }

  async unsentEvents(limit: number): Promise<OutboxRow[]> {
    const rows = await this.run(
      this.sql`SELECT * FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ${limit}`,
      'read outbox',
    );
    return rows.map((r) => ({
      id: Number(r.id),
      txnId: String(r.txn_id),
      sessionId: String(r.session_id),
      outcome: r.outcome as Decision,
      token: Number(r.token),
      decidedAtMs: Number(r.decided_at_ms),
    }));
  }

  async markSent(sent: ReadonlyArray<{ id: number; streamId: string }>): Promise<void> {
    if (sent.length === 0) return;
    // `id = ANY(array)` keeps it an index scan whatever the batch (a join with a record set was planned as a
    // scan of the whole outbox).
    const streamIds = Object.fromEntries(sent.map((s) => [String(s.id), s.streamId]));
    await this.run(
      this.sql`
        UPDATE outbox SET sent_at = now(), stream_id = ${this.sql.json(streamIds)}::jsonb ->> id::text
        WHERE id = ANY(${this.sql.array(sent.map((s) => s.id))}::bigint[])`,
      'mark sent',
    );
  }
}
