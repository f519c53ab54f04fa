// A participant's evidence for the rig, read from its own database and its own log after a run: its transactions'
// durable states, what it left prepared, the waits it logged and the stale writes it refused. Only what was
// recorded: a value nothing recorded is left out, never stood in for.
import type {
  FencedWriteRecord,
  LockWaitRecord,
  ParticipantRecord,
  PathRecord,
  PreparedRecord,
} from '../../format/observations.ts';
import type { ObservationLine } from '../common/log.ts';
import { type Queryable, Statements } from '../common/statements.ts';

const statements = Statements.load('participant', new URL('./sql/', import.meta.url));

/** Server wall-clock readings (ms) placed on the reader's time base (ns). */
export type ToNs = (wallMs: number) => number;

const dateMs = (d: unknown) => new Date(d as string).getTime();

/** What the participant logged of its votes: the vote and the token of the prepare it answered. */
export type LoggedVote = { vote: 'yes' | 'no'; token: number };

export interface ParticipantLog {
  votes: Map<string, LoggedVote>;
  lockWaits: LockWaitRecord[];
  /** Writes its fence refused (stale tokens). */
  refused: FencedWriteRecord[];
  /** Each decision query it made (`precommit-timeout`: about a pre-committed transaction). */
  paths: PathRecord[];
}

/** A `decision-query` line as a path record; `alone`: decided without asking (the planted 3pc-timeout-commit). */
function decisionQueryPath(name: string, o: ObservationLine, toNs: ToNs): PathRecord {
  return {
    kind: 'path',
    name: o.precommitted === true ? 'precommit-timeout' : 'decision-query',
    node: name,
    txnId: String(o.txnId),
    outcome: o.from === 'timeout' ? 'alone' : String(o.answer),
    at: toNs(o.t),
  };
}

/**
 * One pass over a participant's log lines. Each wait is logged when found and again, with its end, when gone; the
 * later line counts. A participant killed while some of its prepares waited never logs their ends, and the process
 * that replaces it knows nothing of them: the waits of one incarnation (its log up to the next `listening`) still
 * open when it died end with its last line. The waiter is gone and its transaction can never prepare, so
 * PostgreSQL rolls it back and no lock is left by it.
 */
export function readParticipantLog(name: string, lines: readonly ObservationLine[], toNs: ToNs): ParticipantLog {
  const votes = new Map<string, LoggedVote>();
  const refused: FencedWriteRecord[] = [];
  const paths: PathRecord[] = [];
  const waits = new Map<string, { line: ObservationLine; end?: number }>();
  let open = new Map<string, { line: ObservationLine; end?: number }>();
  let lastT = Number.NEGATIVE_INFINITY;
  for (const o of lines) {
    if (o.obs === 'listening') {
      for (const w of open.values()) w.end = Math.max(Number(w.line.start), lastT);
      open = new Map();
    }
    lastT = o.t;
    if (o.obs === 'vote' && (o.vote === 'yes' || o.vote === 'no')) {
      votes.set(String(o.txnId), { vote: o.vote, token: Number(o.token) });
    } else if (o.obs === 'decision-query') {
      paths.push(decisionQueryPath(name, o, toNs));
    } else if (o.obs === 'stale-token-rejected') {
      const at = toNs(o.t);
      refused.push({
        kind: 'fenced-write',
        store: name,
        key: String(o.txnId),
        token: Number(o.token),
        accepted: false,
        at,
      });
    } else if (o.obs === 'lock-wait') {
      const key = `${o.txnId}|${o.waitsFor}|${o.resource}|${o.start}`;
      const w = { line: o, ...(o.end !== undefined ? { end: Number(o.end) } : {}) };
      waits.set(key, w);
      if (w.end === undefined) open.set(key, w);
      else open.delete(key);
    }
  }
  const lockWaits = [...waits.values()].map(
    ({ line, end }): LockWaitRecord => ({
      kind: 'lock-wait',
      participant: name,
      txnId: String(line.txnId),
      waitsFor: String(line.waitsFor),
      ...(line.resource !== undefined ? { resource: String(line.resource) } : {}),
      start: toNs(Number(line.start)),
      ...(end !== undefined ? { end: toNs(end) } : {}),
    }),
  );
  return { votes, lockWaits, refused, paths };
}

/** What a participant's domain reads from a transaction's recorded detail: billing its charge, rm its cells. */
export type DetailFields = Pick<
  ParticipantRecord,
  'accountId' | 'amount' | 'cells' | 'releasedAmount' | 'releasedCells'
>;

const actions: ReadonlySet<unknown> = new Set(['create', 'modify', 'release']);

/** What the transaction did to its session, as its prepare recorded it; left out when it recorded none. */
function actionOf(detail: Readonly<Record<string, unknown>>): Pick<ParticipantRecord, 'action'> {
  return actions.has(detail.kind) ? { action: detail.kind as NonNullable<ParticipantRecord['action']> } : {};
}

/** What the prepare recorded the session held before (modify, release), as an object; none for a create. */
export function releasedOf(detail: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  const r = detail.release;
  return r !== null && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : undefined;
}
export type ReadDetail = (detail: Readonly<Record<string, unknown>>) => DetailFields;

/** The detail column as an object (the driver parses jsonb; a text value is parsed here), or none. */
function detailOf(raw: unknown): Record<string, unknown> | undefined {
  const value = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * The durable state of every transaction this participant knows, from its database. `readDetail` turns what the
 * prepare recorded (participant_txn.detail, written in the same prepared transaction as the reservations) into the
 * record's domain fields; a row without detail (a tombstone) has none.
 */
export async function readParticipantTxns(
  sql: Queryable,
  name: string,
  votes: ReadonlyMap<string, LoggedVote>,
  toNs: ToNs,
  readDetail?: ReadDetail,
): Promise<ParticipantRecord[]> {
  return (await statements.run(sql, 'evidence_txn')).map((r): ParticipantRecord => {
    const txnId = String(r.txn_id);
    const vote = votes.get(txnId)?.vote;
    const detail = detailOf(r.detail);
    return {
      kind: 'participant',
      participant: name,
      txnId,
      ...(vote ? { vote } : {}),
      state: r.state === 'committed' ? 'committed' : 'aborted',
      token: Number(r.token),
      at: toNs(dateMs(r.recorded_at)),
      ...(detail ? actionOf(detail) : {}),
      ...(detail && readDetail ? readDetail(detail) : {}),
    };
  });
}

/** How many transactions are prepared in this participant's database. */
export async function countPrepared(sql: Queryable): Promise<number> {
  const [row] = await statements.run(sql, 'evidence_prepared_count');
  return Number(row?.n);
}

/**
 * Every transaction left prepared, as a `prepared` record and as the participant's state for it. The state's token
 * is the one its pre-commit record (3PC) or its logged yes vote carries; a participant that died between its
 * PREPARE TRANSACTION and its vote logged neither, and the record has no token.
 */
export async function readLeftPrepared(
  sql: Queryable,
  name: string,
  votes: ReadonlyMap<string, LoggedVote>,
  clock: { toNs: ToNs; nowNs: number },
): Promise<Array<PreparedRecord | ParticipantRecord>> {
  const out: Array<PreparedRecord | ParticipantRecord> = [];
  for (const r of await statements.run(sql, 'evidence_prepared')) {
    const gid = String(r.gid);
    const txnId = gid.slice(gid.indexOf(':') + 1);
    const preparedAt = clock.toNs(dateMs(r.prepared));
    out.push({ kind: 'prepared', participant: name, gid, txnId, preparedAt, observedAt: clock.nowNs });
    const logged = votes.get(txnId);
    const precommitted = r.precommit_token !== null;
    const token = precommitted ? Number(r.precommit_token) : logged?.vote === 'yes' ? logged.token : undefined;
    out.push({
      kind: 'participant',
      participant: name,
      txnId,
      ...(logged ? { vote: logged.vote } : {}),
      state: precommitted ? 'precommitted' : 'prepared',
      ...(token !== undefined ? { token } : {}),
      at: precommitted ? clock.toNs(dateMs(r.precommitted_at)) : preparedAt,
    });
  }
  return out;
}
