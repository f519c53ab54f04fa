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
  /** Participant name -> its record (absent: it never heard of the txn). */
  parts: Map<string, ParticipantRecord>;
  expected: string[];
  clients: ClientOp[];
}

function outcomeOf(state: string | undefined): Outcome {
  if (state === 'committed' || state === 'COMMITTED') return 'committed';
  if (state === 'aborted' || state === 'ABORTED' || state === 'tombstone') return 'aborted';
  return undefined;
}

/** The DSM outcome per txn: its highest-version record (records name their txn; older writers may only name the session). */
function dsmOutcomes(records: readonly DsmRecord[], txns: Map<string, TxnRecord>): Map<string, Outcome> {
  const sessionTxn = new Map<string, string>();
  for (const t of txns.values()) sessionTxn.set(t.sessionId, t.txnId);
  const latest = new Map<string, DsmRecord>();
  for (const r of records) {
    const txnId = r.txnId ?? sessionTxn.get(r.sessionId) ?? `session:${r.sessionId}`;
    const prev = latest.get(txnId);
    if (!prev || r.version >= prev.version) latest.set(txnId, r);
  }
  return new Map([...latest].map(([txnId, r]) => [txnId, outcomeOf(r.state)]));
}

function views(history: readonly HistoryOp[], obs: Observations): TxnView[] {
  const txns = indexBy(obs.txn, (t) => t.txnId);
  const parts = groupBy(obs.participant, (p) => p.txnId);
  const dsm = dsmOutcomes(obs.dsm, txns);
  const { byTxn } = linkClientOps(history, obs);
  const ids = new Set([...txns.keys(), ...parts.keys(), ...byTxn.keys()]);
  return [...ids].map((txnId) => {
    const log = txns.get(txnId);
    const byName = indexBy(parts.get(txnId) ?? [], (p) => p.participant);
    const expected = log?.participants ?? [...byName.keys()];
    return {
      txnId,
      log,
      logged: outcomeOf(log?.state),
      dsm: dsm.get(txnId),
      parts: byName,
      expected,
      clients: byTxn.get(txnId) ?? [],
    };
  });
}

/** Participants among themselves, and their votes; returns whether they disagree (a partial commit). */
function checkParticipants(v: TxnView, out: AnomalyLog, ops: number[]): boolean {
  const states = v.expected.map((p) => [p, v.parts.get(p)?.state ?? 'absent'] as const);
  const committed = states.filter(([, s]) => s === 'committed').map(([p]) => p);
  const notCommitted = states.filter(([, s]) => s === 'aborted' || s === 'tombstone' || s === 'absent');
  const partial = committed.length > 0 && notCommitted.length > 0;
  if (partial) {
    const others = notCommitted.map(([p, s]) => `${p} ${s}`).join(', ');
    out.add('partial-commit', v.txnId, ops, `${committed.join(', ')} committed but ${others}`);
  }
  for (const [p, s] of states) {
    if (s === 'prepared' || s === 'precommitted') {
      out.add('left-prepared', v.txnId, ops, `${p} still ${s} after the quiet window`, { participant: p });
    }
  }
  if (committed.length > 0 || v.logged === 'committed') {
    // A yes must be on record and nobody may have recorded a no: the participant's own vote or the coordinator's.
    const votesOf = (p: string) => [v.parts.get(p)?.vote, v.log?.votes?.[p]].filter((x) => x !== undefined);
    const missing = v.expected.filter((p) => votesOf(p).length === 0 || votesOf(p).some((x) => x !== 'yes'));
    if (missing.length > 0) {
      const why = missing.map((p) => `${p} voted ${votesOf(p).join('/') || 'nothing'}`).join(', ');
      out.add('commit-without-all-yes', v.txnId, ops, `committed although ${why}`);
    }
  }
  return partial;
}

function checkDecision(v: TxnView, out: AnomalyLog, ops: number[], partial: boolean, haveDsm: boolean): void {
  const outcomes = v.expected.map((p) => outcomeOf(v.parts.get(p)?.state));
  const unanimous =
    !partial && outcomes.length > 0 && outcomes.every((o) => o === outcomes[0]) ? outcomes[0] : undefined;
  const problems: string[] = [];
  if (v.logged && v.dsm && v.logged !== v.dsm) problems.push(`log ${v.logged} but DSM ${v.dsm}`);
  if (v.logged && unanimous && v.logged !== unanimous) problems.push(`log ${v.logged} but participants ${unanimous}`);
  if (!v.logged && (unanimous === 'committed' || v.dsm === 'committed')) {
    problems.push(`committed without a logged decision (log ${v.log ? v.log.state : 'has no row'})`);
  }
  if (haveDsm && v.logged && !v.dsm) problems.push(`log ${v.logged} but the DSM record is not decided`);
  if (problems.length > 0) out.add('decision-mismatch', v.txnId, ops, problems.join('; '));
}

function committedEverywhere(v: TxnView, haveDsm: boolean): boolean {
  const partsOk = v.expected.length > 0 && v.expected.every((p) => v.parts.get(p)?.state === 'committed');
  return v.logged === 'committed' && partsOk && (!haveDsm || v.dsm === 'committed');
}

function checkClients(v: TxnView, out: AnomalyLog, haveDsm: boolean): void {
  const committedSomewhere =
    v.logged === 'committed' || v.dsm === 'committed' || [...v.parts.values()].some((p) => p.state === 'committed');
  for (const c of v.clients) {
    if (c.type === 'ok' && !committedEverywhere(v, haveDsm)) {
      const where = `log ${v.log?.state ?? 'absent'}, DSM ${v.dsm ?? 'undecided'}, ${describeParts(v)}`;
      out.add('ok-not-committed', v.txnId, opIndices(c), `client was told committed but ${where}`);
    }
    if (c.type === 'fail' && committedSomewhere) {
      out.add('fail-but-committed', v.txnId, opIndices(c), `client was told it failed but ${describeParts(v)}`);
    }
  }
}

function describeParts(v: TxnView): string {
  return v.expected.map((p) => `${p} ${v.parts.get(p)?.state ?? 'absent'}`).join(', ');
}

export const atomicity: Checker = {
  name: 'atomicity',
  check(history, observations, opts) {
    const out = anomalyLog(opts);
    const haveDsm = observations.dsm.length > 0;
    let committed = 0;
    let aborted = 0;
    const all = views(history, observations);
    for (const v of all) {
      const ops = v.clients.flatMap(opIndices);
      const partial = checkParticipants(v, out, ops);
      if (observations.txn.length > 0) checkDecision(v, out, ops, partial, haveDsm);
      if (observations.txn.length > 0 || observations.participant.length > 0) checkClients(v, out, haveDsm);
      if (v.logged === 'committed') committed++;
      if (v.logged === 'aborted') aborted++;
    }
    return out.result({ txns: all.length, committed, aborted, undecided: all.length - committed - aborted });
  },
};
