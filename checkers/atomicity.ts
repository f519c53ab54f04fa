// Atomicity: per transaction, the participants, the logged decision and the DSM agree, and the client's view matches.
// A source (log, DSM, participants) is only held to account when the run recorded that kind at all, so a run that
// collected no DSM records is not flagged for every transaction.
import { groupBy, indexBy } from './collections.ts';
import type { HistoryOp } from './history.ts';
import type { DsmRecord, Observations, ParticipantRecord, TxnRecord } from './observations.ts';
import { type AnomalyLog, anomalyLog, type Checker } from './result.ts';
import { type ClientOp, linkClientOps, opIndices } from './sessions.ts';

type Outcome = 'committed' | 'aborted' | undefined;

interface TxnView {
  txnId: string;
  log: TxnRecord | undefined;
  logged: Outcome;
  dsm: Outcome;
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

/** The DSM record deciding each txn: its highest version (records name their txn; older writers only the session). */
function latestDsm(records: readonly DsmRecord[], txns: Map<string, TxnRecord>): Map<string, DsmRecord> {
  let sessionTxn: Map<string, string> | undefined;
  const latest = new Map<string, DsmRecord>();
  for (const r of records) {
    let txnId = r.txnId;
    if (txnId === undefined) {
      sessionTxn ??= new Map([...txns.values()].map((t) => [t.sessionId, t.txnId]));
      txnId = sessionTxn.get(r.sessionId) ?? `session:${r.sessionId}`;
    }
    const prev = latest.get(txnId);
    if (!prev || r.version >= prev.version) latest.set(txnId, r);
  }
  return latest;
}

/** The last record of participant `name` for this txn. */
function partOf(v: TxnView, name: string): ParticipantRecord | undefined {
  for (let i = v.parts.length - 1; i >= 0; i--) if (v.parts[i]!.participant === name) return v.parts[i];
  return undefined;
}

function* views(history: readonly HistoryOp[], obs: Observations): Generator<TxnView> {
  const txns = indexBy(obs.txn, (t) => t.txnId);
  const parts = groupBy(obs.participant, (p) => p.txnId);
  const dsm = latestDsm(obs.dsm, txns);
  const { byTxn } = linkClientOps(history, obs);
  const view = (txnId: string, log: TxnRecord | undefined, records: ParticipantRecord[]): TxnView => ({
    txnId,
    log,
    logged: outcomeOf(log?.state),
    dsm: outcomeOf(dsm.get(txnId)?.state),
    parts: records,
    expected: log?.participants ?? [...new Set(records.map((p) => p.participant))],
    clients: byTxn.get(txnId) ?? [],
  });
  // Every txn any source knows of, once: the log's, then those only participants know, then those only clients know.
  for (const [txnId, log] of txns) yield view(txnId, log, parts.get(txnId) ?? []);
  for (const [txnId, records] of parts) if (!txns.has(txnId)) yield view(txnId, undefined, records);
  for (const txnId of byTxn.keys()) if (!txns.has(txnId) && !parts.has(txnId)) yield view(txnId, undefined, []);
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
  if (!v.logged && (unanimous === 'committed' || v.dsm === 'committed')) {
    problems.push(`committed without a logged decision (log ${v.log ? v.log.state : 'has no row'})`);
  }
  if (haveDsm && v.logged && !v.dsm) problems.push(`log ${v.logged} but the DSM record is not decided`);
  if (problems.length > 0) out.add('decision-mismatch', v.txnId, opsOf(v), problems.join('; '));
}

/** All aborted (or tombstoned) counts as an abort; a participant that never heard of the txn decided nothing. */
function unanimousAbort(v: TxnView): Outcome {
  for (const p of v.expected) if (partOf(v, p) === undefined) return undefined;
  return 'aborted';
}

function checkClients(v: TxnView, s: Summary, out: AnomalyLog, haveDsm: boolean): void {
  const n = v.expected.length;
  const everywhere = v.logged === 'committed' && n > 0 && s.committed === n && (!haveDsm || v.dsm === 'committed');
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

export const atomicity: Checker = {
  name: 'atomicity',
  check(history, observations, opts) {
    const out = anomalyLog(opts);
    const haveDsm = observations.dsm.length > 0;
    let committed = 0;
    let aborted = 0;
    let txns = 0;
    for (const v of views(history, observations)) {
      txns++;
      const summary = summarize(v);
      checkParticipants(v, summary, out);
      if (observations.txn.length > 0) checkDecision(v, summary, out, haveDsm);
      if (observations.txn.length > 0 || observations.participant.length > 0) checkClients(v, summary, out, haveDsm);
      if (v.logged === 'committed') committed++;
      if (v.logged === 'aborted') aborted++;
    }
    return out.result({ txns, committed, aborted, undecided: txns - committed - aborted });
  },
};
