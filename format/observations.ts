// What the servers say happened, collected by the harness after the run (after the final heal and the quiet window).
// One record per JSONL line under `observations/`, discriminated on `kind`; docs/formats.md shows one line of each.
// Times (`at`, `createdAt`, ...) are nanoseconds since the run started, on the history's time base: the harness converts
// server wall-clock readings, so injected clock skew shows up in them.
import { arr, bool, dict, type Infer, int, json, lit, num, obj, opt, str, strOrInt } from './schema.ts';

const protocol = lit('2pc', '3pc');
const trafficClass = lit('voice', 'video', 'data');
const vote = lit('yes', 'no');
/** What a transaction does to its session (system/common/contract.ts `txnKinds`). */
const action = lit('create', 'modify', 'release');

/** The coordinator's transaction log row (Postgres `coordinator`), as it stands at the end of the run. */
export const txnRecord = obj({
  kind: lit('txn'),
  txnId: str,
  sessionId: str,
  /** The client's request id, when the gateway passed one through: links `fail`/`info` client ops to their txn. */
  requestId: opt(str),
  protocol,
  /** What the transaction does to its session; absent in runs recorded before sessions could change (create). */
  action: opt(action),
  /** The traffic class the session has once the transaction commits. */
  trafficClass: opt(trafficClass),
  /** Who must agree, e.g. ["rm", "billing"]. */
  participants: arr(str),
  /** committed/aborted mean the decision is logged. */
  state: lit('pending', 'prepared', 'precommitted', 'committed', 'aborted'),
  /** Votes as the coordinator received them. */
  votes: opt(dict(vote)),
  reason: opt(str),
  /** Fencing token (epoch) of the leader that last wrote the row. */
  token: int,
  /** Token of the leader whose decision was logged (the row's token may be newer after recovery). */
  decisionToken: opt(int),
  createdAt: num,
  decidedAt: opt(num),
  /** The node whose decision was logged. */
  decidedBy: opt(str),
  /** When every participant acknowledged phase 2. */
  endedAt: opt(num),
});

/** A participant's (rm, billing) final state for one txn, from its own database. */
export const participantRecord = obj({
  kind: lit('participant'),
  participant: str,
  txnId: str,
  /** What this participant voted; absent if it never voted (e.g. aborted before prepare). */
  vote: opt(vote),
  state: lit('prepared', 'precommitted', 'committed', 'aborted', 'tombstone'),
  /**
   * The token the participant accepted this state's write under, as its database or its own log recorded it;
   * absent when nothing recorded it (a transaction left prepared by a participant that died before logging its
   * vote). Never a stand-in: a record without one is not evidence about fencing.
   */
  token: opt(int),
  /** When the participant's database wrote this state (a prepare: `pg_prepared_xacts.prepared`). */
  at: num,
  /** What the transaction does to its session, as the prepare recorded it (absent: create, in older runs). */
  action: opt(action),
  /** billing: the account held and the amount the session holds after the transaction (release: 0). */
  accountId: opt(str),
  amount: opt(num),
  /** rm: the cells on which one channel each was reserved (release: none). */
  cells: opt(arr(str)),
  /** modify, release: what the session held before, given back by the same transaction (billing; rm). */
  releasedAmount: opt(num),
  releasedCells: opt(arr(str)),
});

/** A leftover row of `pg_prepared_xacts` at the end of the run. */
export const preparedRecord = obj({
  kind: lit('prepared'),
  participant: str,
  gid: str,
  txnId: opt(str),
  preparedAt: opt(num),
  observedAt: num,
});

const dsmState = lit('PENDING', 'PREPARED', 'PRECOMMITTED', 'COMMITTED', 'ABORTED');

/**
 * One accepted DSM write (the CAS Lua script logs each): the session record at `version`. `state` is the stage of
 * the transaction that wrote it (`txnId`), `status` the session's own (`COMMITTED`: active; `RELEASED` after a
 * committed release), `revision` the session's revision (contract.ts `Revision`) after the write.
 */
export const dsmRecord = obj({
  kind: lit('dsm'),
  sessionId: str,
  txnId: opt(str),
  version: int,
  state: dsmState,
  status: opt(lit('PENDING', 'PREPARED', 'PRECOMMITTED', 'COMMITTED', 'ABORTED', 'RELEASED')),
  revision: opt(int),
  token: int,
  node: opt(str),
  at: num,
});

/**
 * One DSM operation, for the linearizability of DSM records as CAS registers on their version: read: `value` is the
 * version read (null: no record); cas: `value` is [expectedVersion, newVersion]. `end` is absent when the outcome is
 * unknown (`info`). The CAS script audits every write attempt, accepted (`ok`) or refused (`fail`: a version that
 * is not current, or a stale token), with Redis's own clock, so the store's record is judged on its own.
 */
export const dsmOpRecord = obj({
  kind: lit('dsm-op'),
  node: str,
  key: str,
  f: lit('read', 'cas'),
  value: json,
  outcome: lit('ok', 'fail', 'info'),
  start: num,
  end: opt(num),
  token: opt(int),
  txnId: opt(str),
  /** A refused attempt: `version` (not the expected one) or `stale-token`. */
  refused: opt(lit('version', 'stale-token')),
});

/** One entry of the Redis stream `session-events`, in stream order. */
export const eventRecord = obj({
  kind: lit('event'),
  entryId: str,
  sessionId: str,
  txnId: str,
  outcome: lit('committed', 'aborted'),
  /** Per-session sequence number, from 1. */
  seq: int,
  token: int,
  at: num,
});

/** A leadership change as the node saw it. */
export const leaderRecord = obj({
  kind: lit('leader'),
  node: str,
  epoch: int,
  event: lit('acquire', 'renew-failed', 'step-down'),
  at: num,
});

/** A fenced write a store accepted or refused (txn log, participants, stream; DSM writes are `dsm` records). */
export const fencedWriteRecord = obj({
  kind: lit('fenced-write'),
  store: str,
  key: opt(str),
  node: opt(str),
  token: int,
  accepted: bool,
  at: num,
});

/** A wait-for edge: `txnId` waited for `waitsFor` at a participant; `end` absent if still waiting at the end. */
export const lockWaitRecord = obj({
  kind: lit('lock-wait'),
  participant: str,
  txnId: str,
  waitsFor: str,
  resource: opt(str),
  start: num,
  end: opt(num),
});

/**
 * A deadlock found, how, its victim, when its cycle formed (its last edge began; absent in older runs), when it
 * was found and when it was resolved (absent: never).
 */
export const deadlockRecord = obj({
  kind: lit('deadlock'),
  cycle: arr(str),
  /** Absent when the log never named one (a cycle broken by a lock timeout names its victim once it is gone). */
  victim: opt(str),
  method: lit('timeout', 'detector'),
  formedAt: opt(num),
  detectedAt: num,
  resolvedAt: opt(num),
});

/** A lock still held at the end of the run. */
export const lockRecord = obj({
  kind: lit('lock'),
  participant: str,
  resource: str,
  txnId: opt(str),
  since: opt(num),
  observedAt: num,
});

const phase = lit('initial', 'final');

/**
 * billing account: credit moves balance -> held (prepare) -> spent (commit), or back (abort); a committed release
 * moves the session's spent credit to charged (docs/api.md, the billing rule).
 */
export const accountRecord = obj({
  kind: lit('account'),
  accountId: str,
  phase,
  balance: num,
  /** Absent when not observable: the snapshot reads committed rows, and a prepared hold is not one of them. */
  held: opt(num),
  spent: num,
  /** Credit released sessions were charged; absent in runs recorded before sessions could be released. */
  charged: opt(num),
  at: num,
});

/** rm cell: channels move free -> held (prepare) -> used (commit), or back (abort). */
export const cellRecord = obj({
  kind: lit('cell'),
  cellId: strOrInt,
  phase,
  capacity: int,
  free: int,
  /** Absent when not observable, as for accounts. */
  held: opt(int),
  used: int,
  at: num,
});

/**
 * A recovery path the system took, from the services' own log lines (counted in coverage, so a run that never took
 * a path shows it): `decision-query` a participant asked about a transaction prepared too long; `precommit-timeout`
 * the same for one pre-committed too long (3PC); `recovery` a leader took over an unfinished transaction (once per
 * leader and transaction); `relay-resend` the relay appended an event a pass had appended before.
 */
export const pathRecord = obj({
  kind: lit('path'),
  name: lit('decision-query', 'precommit-timeout', 'recovery', 'relay-resend'),
  /** The process that took it. */
  node: str,
  txnId: opt(str),
  /** decision queries: the answer (commit, abort, undecided, no_answer; `alone`: decided without asking);
   * recovery: `decided` (re-driven) or `undecided` (decided by the recovery rule). */
  outcome: opt(str),
  at: num,
});

/**
 * What the leader's scheduler did with one request offered to its queue: started it, or shed it (`full`: refused at
 * the door, never queued; `evicted`: made room for a higher class; `expired`: waited past the limit). `enqueueSeq`
 * and `seq` come from one counter per scheduler start (`incarnation`), so they order every offer, start and shed on
 * that node exactly; `enqueuedMs`/`atMs` are the node's monotonic clock (comparable within one incarnation only).
 */
export const queueRecord = obj({
  kind: lit('queue'),
  node: str,
  incarnation: int,
  /** The client's request id (the gateway's `client:` idempotency key); absent for keys the gateway made up. */
  requestId: opt(str),
  trafficClass,
  outcome: lit('started', 'full', 'evicted', 'expired'),
  enqueueSeq: int,
  seq: int,
  enqueuedMs: num,
  atMs: num,
  /** The scheduler's aging bound (`RIG_SCHEDULER_AGING_MS`) as it logged it when it started. */
  agingMs: opt(num),
  /** When it was logged, on the history's time base. */
  at: num,
});

export const observationSchemas = {
  txn: txnRecord,
  participant: participantRecord,
  prepared: preparedRecord,
  dsm: dsmRecord,
  'dsm-op': dsmOpRecord,
  event: eventRecord,
  leader: leaderRecord,
  'fenced-write': fencedWriteRecord,
  'lock-wait': lockWaitRecord,
  deadlock: deadlockRecord,
  lock: lockRecord,
  account: accountRecord,
  cell: cellRecord,
  path: pathRecord,
  queue: queueRecord,
} as const;

export type ObservationKind = keyof typeof observationSchemas;
export type Observation = { [K in ObservationKind]: Infer<(typeof observationSchemas)[K]> }[ObservationKind];
export type ObservationOf<K extends ObservationKind> = Infer<(typeof observationSchemas)[K]>;
/** All observations of a run, grouped by kind, each list in file order. */
export type Observations = { [K in ObservationKind]: ObservationOf<K>[] };

export type TxnRecord = ObservationOf<'txn'>;
export type ParticipantRecord = ObservationOf<'participant'>;
export type PreparedRecord = ObservationOf<'prepared'>;
export type DsmRecord = ObservationOf<'dsm'>;
export type DsmOpRecord = ObservationOf<'dsm-op'>;
export type EventRecord = ObservationOf<'event'>;
export type LeaderRecord = ObservationOf<'leader'>;
export type FencedWriteRecord = ObservationOf<'fenced-write'>;
export type LockWaitRecord = ObservationOf<'lock-wait'>;
export type DeadlockRecord = ObservationOf<'deadlock'>;
export type AccountRecord = ObservationOf<'account'>;
export type CellRecord = ObservationOf<'cell'>;
export type PathRecord = ObservationOf<'path'>;
export type QueueRecord = ObservationOf<'queue'>;

export const observationKinds = Object.keys(observationSchemas) as ObservationKind[];

export function emptyObservations(): Observations {
  const out = {} as Record<ObservationKind, unknown[]>;
  for (const kind of observationKinds) out[kind] = [];
  return out as Observations;
}

export function isObservationKind(kind: unknown): kind is ObservationKind {
  return typeof kind === 'string' && Object.hasOwn(observationSchemas, kind);
}

/** Validates one parsed line; the schema is chosen by `kind`. Throws SchemaError. */
export function parseObservation(raw: unknown): Observation {
  const kind = (raw as { kind?: unknown } | null)?.kind;
  if (!isObservationKind(kind)) {
    throw new Error(`unknown observation kind ${JSON.stringify(kind)}: expected one of ${observationKinds.join(', ')}`);
  }
  return observationSchemas[kind].parse(raw, '') as Observation;
}

/** Adds one record to its kind's list (the cast is safe: `kind` selects the list). */
export function addObservation(into: Observations, record: Observation): void {
  (into[record.kind] as Observation[]).push(record);
}
