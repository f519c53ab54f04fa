// Requests: every committed transaction was asked for by a client, no request was carried out as two transactions,
// a committed transaction did what its request asked (create, modify or release, on the session it named), and an
// answer names the transaction of its own request. Two sources: the clients' create-session, modify-session and
// release-session invocations (their requestId, which the harness client sends as the Idempotency-Key) against the
// transaction log's rows (the requestId the gateway passed through as the row's idempotency key).
import type { HistoryOp } from '../format/history.ts';
import type { Observations, TxnRecord } from '../format/observations.ts';
import { groupBy, indexBy } from './collections.ts';
import { type AnomalyLog, anomalyLog, type Checker } from './result.ts';
import { type ClientOp, opIndices, sessionRequest, sessionResult, txnOps } from './sessions.ts';

/** The clients' requests by requestId (a client may repeat a key on purpose: one request, several ops). */
interface Asked {
  byRequest: Map<string, ClientOp[]>;
  /** Invocations of ops that make a transaction, how many carried a requestId, and how many were changes. */
  invocations: number;
  keyed: number;
  changes: number;
}

function asked(history: readonly HistoryOp[]): Asked {
  const byRequest = new Map<string, ClientOp[]>();
  let invocations = 0;
  let changes = 0;
  for (const op of txnOps(history)) {
    invocations++;
    if (op.f !== 'create-session') changes++;
    const { requestId } = sessionRequest(history[op.invoke]!.value);
    if (requestId === undefined) continue;
    const list = byRequest.get(requestId);
    if (list) list.push(op);
    else byRequest.set(requestId, [op]);
  }
  let keyed = 0;
  for (const list of byRequest.values()) keyed += list.length;
  return { byRequest, invocations, keyed, changes };
}

const opsOf = (ops: readonly ClientOp[] | undefined) => (ops ?? []).flatMap(opIndices);

/**
 * A committed transaction nobody asked for: its requestId is no client's, or it has none while every client request
 * carried one. The second rule needs the log to carry request ids at all (`logKeyed`), else the source is missing.
 */
function checkUnasked(t: TxnRecord, a: Asked, logKeyed: boolean, out: AnomalyLog): void {
  if (t.state !== 'committed') return;
  if (t.requestId !== undefined && !a.byRequest.has(t.requestId)) {
    out.add('txn-without-request', t.txnId, [], `committed for request ${t.requestId}, which no client op carries`);
  } else if (t.requestId === undefined && logKeyed && a.keyed === a.invocations) {
    out.add('txn-without-request', t.txnId, [], 'committed without a request id, though every client request had one');
  }
}

const actionOfF: Readonly<Record<string, string>> = {
  'create-session': 'create',
  'modify-session': 'modify',
  'release-session': 'release',
};

/**
 * A committed transaction that did something else than its request asked: another kind of change (the log's
 * `action`; not judged where absent, as in older runs), or a change of another session than the one named.
 */
function checkAsRequested(history: readonly HistoryOp[], t: TxnRecord, a: Asked, out: AnomalyLog): void {
  const ops = t.state === 'committed' && t.requestId !== undefined ? a.byRequest.get(t.requestId) : undefined;
  if (!ops) return;
  const first = ops[0]!;
  const asked = actionOfF[first.f];
  const { sessionId } = sessionRequest(history[first.invoke]!.value);
  const did = t.action;
  const problems: string[] = [];
  if (asked !== undefined && did !== undefined && asked !== did) {
    problems.push(`asked to ${asked}, the log's ${t.txnId} is a ${did}`);
  }
  if (asked !== 'create' && sessionId !== undefined && sessionId !== t.sessionId) {
    problems.push(`asked about session ${sessionId}, ${t.txnId} changed session ${t.sessionId}`);
  }
  if (problems.length === 0) return;
  out.add('txn-not-as-requested', t.txnId, opsOf(ops), `request ${t.requestId}: ${problems.join('; ')}`, {
    asked,
    did,
  });
}

/** Two transaction log rows for one request: the request was carried out twice (the idempotency key failed). */
function checkTwice(requestId: string, txns: readonly TxnRecord[], a: Asked, out: AnomalyLog): void {
  const which = txns.map((t) => `${t.txnId} ${t.state}`).join(', ');
  const ops = opsOf(a.byRequest.get(requestId));
  out.add('request-with-two-txns', requestId, ops, `${txns.length} transactions for one request: ${which}`, {
    txns: txns.map((t) => t.txnId),
  });
}

/** An answer naming a transaction that the log says another request started: the answers are cross-wired. */
function checkAnswers(history: readonly HistoryOp[], a: Asked, obs: Observations, out: AnomalyLog): number {
  const logged = indexBy(obs.txn, (t) => t.txnId);
  let answers = 0;
  for (const [requestId, ops] of a.byRequest) {
    for (const op of ops) {
      if (op.completion < 0) continue;
      const { txnId } = sessionResult(history[op.completion]!.value);
      const row = txnId === undefined ? undefined : logged.get(txnId);
      if (row === undefined) continue;
      answers++;
      if (row.requestId !== undefined && row.requestId !== requestId) {
        const says = `request ${requestId} was answered with ${txnId}, which the log has for request ${row.requestId}`;
        out.add('answer-for-other-request', txnId!, opIndices(op), says);
      }
    }
  }
  return answers;
}

export const requests: Checker = {
  name: 'requests',
  coverage: ['requests', 'txns'],
  check(history, observations, opts) {
    const out = anomalyLog(opts);
    const a = asked(history);
    const logKeyed = observations.txn.some((t) => t.requestId !== undefined);
    for (const t of observations.txn) {
      checkUnasked(t, a, logKeyed, out);
      checkAsRequested(history, t, a, out);
    }
    const byRequest = groupBy(
      observations.txn.filter((t) => t.requestId !== undefined),
      (t) => t.requestId!,
    );
    for (const [requestId, txns] of byRequest) {
      if (new Set(txns.map((t) => t.txnId)).size > 1) checkTwice(requestId, txns, a, out);
    }
    const answers = checkAnswers(history, a, observations, out);
    return out.result({
      requests: a.keyed,
      txns: observations.txn.length,
      invocations: a.invocations,
      changes: a.changes,
      answers,
      committed: observations.txn.filter((t) => t.state === 'committed').length,
    });
  },
};
