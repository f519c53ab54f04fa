// Atomicity: per transaction, the participants, the logged decision and the DSM agree, the client's view matches, and
// a decided outcome reached every participant. A session has several transactions (create, modifies, release), each
// judged on its own: its DSM stage is read from the writes that name it, and the session's status after its last
// write must be what its outcome leaves (active, aborted or released).
// A source (log, DSM, participants) is only held to account when the run recorded that kind at all, so a run that
// collected no DSM records is not flagged for every transaction.
import type { HistoryOp } from '../format/history.ts';
import type { DsmRecord, Observations, ParticipantRecord, TxnRecord } from '../format/observations.ts';
import { type AnomalyLog, anomalyLog, type Checker } from './result.ts';
import { type ClientOp, linkClientOps, opIndices } from './sessions.ts';

type Outcome = 'committed' | 'aborted' | undefined;

interface TxnView {
  txnId: string;
  log: TxnRecord | undefined;
  logged: Outcome;
  dsm: Outcome;
  /** The DSM write deciding it: the highest version naming it. */
  dsmRecord: DsmRecord | undefined;
  /** What it does to its session: the log's word, else a participant's, else its client's; older runs: create. */
  action: string;
  /** The participants' records (a participant without one never heard of the txn); a few, so scanned, not mapped. */
  parts: ParticipantRecord[];
  expected: string[];
  clients: ClientOp[];
}

function outcomeOf(state: string | undefined): Outcome {
  if (state === 'committed' || state === 'COMMITTED') return 'committed';
  if (state === 'aborted' || state === 'ABORTED' || state === 'tombstone') return 'aborted';
  return undefined;
}

/** The last record of participant `name` for this txn. */
function partOf(v: TxnView, name: string): ParticipantRecord | undefined {
  for (let i = v.parts.length - 1; i >= 0; i--) if (v.parts[i]!.participant === name) return v.parts[i];
  return undefined;
}

/**
 * Every txn any source knows of, numbered densely (the log's, then participants', then clients'), with its records.
 * At a million ops the cost is memory traffic, so there is one map from txn id to number and the rest are arrays.
 */
class TxnTable {
  readonly ids: string[] = [];
  private readonly dense = new Map<string, number>();
  readonly log: Int32Array;
  readonly dsm: Int32Array;
  /** Participant records per txn as linked lists over obs.participant, newest first. */
  readonly partHead: Int32Array;
  readonly partNext: Int32Array;

  constructor(obs: Observations, clientTxns: ReadonlyMap<string, unknown>) {
    // An upper bound on distinct txns: DSM records only ever look up txns the other sources named.
    const most = obs.txn.length + obs.participant.length + clientTxns.size;
    this.log = new Int32Array(most).fill(-1);
    this.dsm = new Int32Array(most).fill(-1);
    this.partHead = new Int32Array(most).fill(-1);
    this.partNext = new Int32Array(obs.participant.length);
    obs.txn.forEach((t, i) => {
      this.log[this.idOf(t.txnId)] = i;
    });
    obs.participant.forEach((p, i) => {
      const d = this.idOf(p.txnId);
      this.partNext[i] = this.partHead[d]!;
      this.partHead[d] = i;
    });
    for (const txnId of clientTxns.keys()) this.idOf(txnId);
    this.latestDsm(obs);
  }

  private idOf(txnId: string): number {
    let d = this.dense.get(txnId);
    if (d === undefined) {
      d = this.ids.length;
      this.dense.set(txnId, d);
      this.ids.push(txnId);
    }
    return d;
  }

  /**
   * The DSM write deciding each txn: the highest version among the writes naming it. A write that names no txn comes
   * from an older writer, when a session had one transaction: it is its session's create's when the log has that
   * one row for the session, and no one's otherwise (a change's stage is never guessed).
   */
  private latestDsm(obs: Observations): void {
    let sessionCreate: Map<string, string | null> | undefined;
    obs.dsm.forEach((r, i) => {
      let txnId = r.txnId;
      if (txnId === undefined) {
        sessionCreate ??= createsBySession(obs.txn);
        txnId = sessionCreate.get(r.sessionId) ?? undefined;
      }
      const d = txnId === undefined ? undefined : this.dense.get(txnId);
      if (d === undefined) return;
      const prev = this.dsm[d]!;
      if (prev < 0 || r.version >= obs.dsm[prev]!.version) this.dsm[d] = i;
    });
  }
}

/**
 * session id -> its create, for sessions whose log holds that one row only (older runs, one transaction per
 * session); null for the others: an unnamed write in a session with changes cannot be told whose it is.
 */
function createsBySession(log: readonly TxnRecord[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const t of log) {
    const only = !out.has(t.sessionId) && (t.action === undefined || t.action === 'create');
    out.set(t.sessionId, only ? t.txnId : null);
  }
  return out;
}

const actionOfF: Readonly<Record<string, string>> = {
  'create-session': 'create',
  'modify-session': 'modify',
  'release-session': 'release',
};

function* views(history: readonly HistoryOp[], obs: Observations): Generator<TxnView> {
  const { byTxn } = linkClientOps(history, obs);
  const table = new TxnTable(obs, byTxn);
  for (let d = 0; d < table.ids.length; d++) {
    const txnId = table.ids[d]!;
    const log = table.log[d]! < 0 ? undefined : obs.txn[table.log[d]!];
    const records: ParticipantRecord[] = [];
    for (let i = table.partHead[d]!; i >= 0; i = table.partNext[i]!) records.unshift(obs.participant[i]!);
    const dsmRecord = table.dsm[d]! < 0 ? undefined : obs.dsm[table.dsm[d]!];
    const clients = byTxn.get(txnId) ?? [];
    const action = log?.action ?? records.find((p) => p.action)?.action ?? actionOfF[clients[0]?.f ?? ''] ?? 'create';
    yield {
      txnId,
      log,
      logged: outcomeOf(log?.state),
      dsm: outcomeOf(dsmRecord?.state),
      dsmRecord,
      action,
      parts: records,
      expected: log?.participants ?? [...new Set(records.map((p) => p.participant))],
      clients,
    };
  }
}

/** Counts over the expected participants, in one pass without allocating: most transactions are healthy. */
interface Summary {
  committed: number;
  notCommitted: number;
  inDoubt: number;
  /** Every expected participant has a yes on record and no recorded no. */
  allYes: boolean;
}

function summarize(v: TxnView): Summary {
  const s: Summary = { committed: 0, notCommitted: 0, inDoubt: 0, allYes: true };
  for (const p of v.expected) {
    const record = partOf(v, p);
    const state = record?.state;
    if (state === 'committed') s.committed++;
    else if (state === 'prepared' || state === 'precommitted') s.inDoubt++;
    else s.notCommitted++;
    const own = record?.vote;
    const coordinator = v.log?.votes?.[p];
    if (
      (own === undefined && coordinator === undefined) ||
      (own ?? 'yes') !== 'yes' ||
      (coordinator ?? 'yes') !== 'yes'
    ) {
      s.allYes = false;
    }
  }
  return s;
}

const opsOf = (v: TxnView) => v.clients.flatMap(opIndices);
const stateOf = (v: TxnView, p: string) => partOf(v, p)?.state ?? 'absent';

/** Participants among themselves, and their votes. */
function checkParticipants(v: TxnView, s: Summary, out: AnomalyLog): void {
  if (s.committed > 0 && s.notCommitted > 0) {
    const committed = v.expected.filter((p) => stateOf(v, p) === 'committed');
    const others = v.expected
      .map((p) => `${p} ${stateOf(v, p)}`)
      .filter((text) => / (aborted|tombstone|absent)$/.test(text));
    out.add('partial-commit', v.txnId, opsOf(v), `${committed.join(', ')} committed but ${others.join(', ')}`);
  }
  if (s.inDoubt > 0) {
    for (const p of v.expected) {
      const state = stateOf(v, p);
      if (state === 'prepared' || state === 'precommitted') {
        out.add('left-prepared', v.txnId, opsOf(v), `${p} still ${state} after the quiet window`, { participant: p });
      }
    }
  }
  if (!s.allYes && (s.committed > 0 || v.logged === 'committed')) {
    // A yes must be on record and nobody may have recorded a no: the participant's own vote or the coordinator's.
    const votes = v.expected.map((p) => {
      const recorded = [partOf(v, p)?.vote, v.log?.votes?.[p]].filter((x) => x !== undefined);
      return `${p} voted ${recorded.join('/') || 'nothing'}`;
    });
    out.add('commit-without-all-yes', v.txnId, opsOf(v), `committed although ${votes.join(', ')}`);
  }
}

function checkDecision(v: TxnView, s: Summary, out: AnomalyLog, haveDsm: boolean): void {
  const n = v.expected.length;
  const unanimous: Outcome =
    n > 0 && s.committed === n ? 'committed' : n > 0 && s.notCommitted === n ? unanimousAbort(v) : undefined;
  const problems: string[] = [];
  if (v.logged && v.dsm && v.logged !== v.dsm) problems.push(`log ${v.logged} but DSM ${v.dsm}`);
  if (v.logged && unanimous && v.logged !== unanimous) problems.push(`log ${v.logged} but participants ${unanimous}`);
  else if (v.logged === 'committed' && s.committed === 0) {
    // Not unanimous because another participant left no record: a commit every participant voted for cannot be
    // aborted by any one of them, so each abort on record contradicts the log by itself. (With a participant that
    // committed, partial-commit already names the split.)
    const aborted = v.expected.filter((p) => partOf(v, p)?.state === 'aborted');
    if (aborted.length > 0) problems.push(`log committed but ${aborted.map((p) => `${p} aborted`).join(', ')}`);
  }
  if (!v.logged && (unanimous === 'committed' || v.dsm === 'committed')) {
    problems.push(`committed without a logged decision (log ${v.log ? v.log.state : 'has no row'})`);
  }
  if (haveDsm && v.logged && !v.dsm && !neverClaimed(v)) {
    problems.push(`log ${v.logged} but the DSM record is not decided`);
  }
  const status = v.dsmRecord?.status;
  const owed = v.logged && v.dsm === v.logged ? statusAfter(v.action, v.logged) : undefined;
  if (status !== undefined && owed !== undefined && status !== owed) {
    problems.push(`log ${v.logged} ${v.action} but the DSM's session status is ${status}, not ${owed}`);
  }
  if (problems.length > 0) out.add('decision-mismatch', v.txnId, opsOf(v), problems.join('; '));
}

/**
 * The session's status once a decided txn has written its last (docs/api.md, GET): a create leaves it active
 * (`COMMITTED`) or `ABORTED`; a committed release leaves it `RELEASED`; any change that aborted, and a modify, active.
 */
/**
 * A modify or release that aborted before its claim of the session's record landed (it lost the claim to another
 * change): no DSM write names it, and no participant prepared it. It never touched the session, so the DSM owes it
 * nothing. A committed change always claimed first, so this never excuses a commit.
 */
function neverClaimed(v: TxnView): boolean {
  return (
    v.action !== 'create' &&
    v.logged === 'aborted' &&
    v.dsmRecord === undefined &&
    v.parts.every(
      (p) => p.vote !== 'yes' && p.state !== 'prepared' && p.state !== 'precommitted' && p.state !== 'committed',
    )
  );
}

function statusAfter(action: string, outcome: 'committed' | 'aborted'): string {
  if (action === 'create') return outcome === 'committed' ? 'COMMITTED' : 'ABORTED';
  return action === 'release' && outcome === 'committed' ? 'RELEASED' : 'COMMITTED';
}

/** All aborted (or tombstoned) counts as an abort; a participant that never heard of the txn decided nothing. */
function unanimousAbort(v: TxnView): Outcome {
  for (const p of v.expected) if (partOf(v, p) === undefined) return undefined;
  return 'aborted';
}

/** Which sources the run collected at all: one it did not collect cannot contradict a client. */
interface Sources {
  log: boolean;
  dsm: boolean;
  parts: boolean;
}

function checkClients(v: TxnView, s: Summary, out: AnomalyLog, have: Sources): void {
  const n = v.expected.length;
  const everywhere =
    (!have.log || v.logged === 'committed') &&
    (!have.parts || (n > 0 && s.committed === n)) &&
    (!have.dsm || v.dsm === 'committed');
  const somewhere = v.logged === 'committed' || v.dsm === 'committed' || v.parts.some((p) => p.state === 'committed');
  const describe = () => v.expected.map((p) => `${p} ${stateOf(v, p)}`).join(', ');
  for (const c of v.clients) {
    if (c.type === 'ok' && !everywhere) {
      const where = `log ${v.log?.state ?? 'absent'}, DSM ${v.dsm ?? 'undecided'}, ${describe()}`;
      out.add('ok-not-committed', v.txnId, opIndices(c), `client was told committed but ${where}`);
    }
    if (c.type === 'fail' && somewhere) {
      out.add('fail-but-committed', v.txnId, opIndices(c), `client was told it failed but ${describe()}`);
    }
  }
}

/** What tells that a participant prepared a txn, besides its own record: the coordinator's logged yes, a leftover. */
interface Prepared {
  /** Participants the run collected any record from: only they are held to account for a missing record. */
  collected: ReadonlySet<string>;
  /** `participant|txnId` of every leftover prepared transaction. */
  leftover: ReadonlySet<string>;
}

function preparedEvidence(obs: Observations): Prepared {
  return {
    collected: new Set(obs.participant.map((p) => p.participant)),
    leftover: new Set(obs.prepared.map((p) => `${p.participant}|${p.txnId ?? p.gid}`)),
  };
}

/**
 * A decided transaction's outcome reached at every participant, where the other checks read a missing record as
 * "never heard of it". After a commit every participant voted yes, so prepared: one without a record lost the commit
 * it owed. After an abort a participant without a record is fine only when it provably never prepared: no yes vote
 * in the coordinator's log and no leftover prepared transaction (a prepare is durable, so one that happened leaves
 * a prepared transaction, or the abort's tombstone, or a commit). Contrary or in-doubt records are the other checks'.
 * Returns how many participants it judged.
 */
function checkReached(v: TxnView, evidence: Prepared, out: AnomalyLog): number {
  if (v.logged === undefined) return 0;
  let judged = 0;
  for (const p of v.expected) {
    if (!evidence.collected.has(p)) continue;
    judged++;
    if (partOf(v, p) !== undefined) continue;
    if (v.logged === 'committed') {
      out.add('outcome-not-reached', v.txnId, opsOf(v), `${p} has no record of committed ${v.txnId}`, {
        participant: p,
      });
    } else if (v.log?.votes?.[p] === 'yes' || evidence.leftover.has(`${p}|${v.txnId}`)) {
      const why = `${p} prepared aborted ${v.txnId} (voted yes) but has no abort or tombstone record`;
      out.add('outcome-not-reached', v.txnId, opsOf(v), why, { participant: p });
    }
  }
  return judged;
}

export const atomicity: Checker = {
  name: 'atomicity',
  coverage: ['txns', 'participantOutcomes'],
  check(history, observations, opts) {
    const out = anomalyLog(opts);
    const haveDsm = observations.dsm.length > 0;
    const haveLog = observations.txn.length > 0;
    const haveParts = observations.participant.length > 0;
    const sources: Sources = { log: haveLog, dsm: haveDsm, parts: haveParts };
    const evidence = preparedEvidence(observations);
    let committed = 0;
    let aborted = 0;
    let txns = 0;
    let participantOutcomes = 0;
    const byAction: Record<string, number> = {};
    for (const v of views(history, observations)) {
      txns++;
      byAction[v.action] = (byAction[v.action] ?? 0) + 1;
      const summary = summarize(v);
      checkParticipants(v, summary, out);
      if (haveLog) checkDecision(v, summary, out, haveDsm);
      checkClients(v, summary, out, sources);
      participantOutcomes += checkReached(v, evidence, out);
      if (v.logged === 'committed') committed++;
      if (v.logged === 'aborted') aborted++;
    }
    const undecided = txns - committed - aborted;
    return out.result({ txns, participantOutcomes, committed, aborted, undecided, byAction });
  },
};
