// One transaction of the simulated correct system: its client ops and every record the servers would keep.
import type { HistoryOp, OpType, Process } from '../../format/history.ts';
import type { LeaderRecord, Observation } from '../../format/observations.ts';
import {
  amountOf,
  type Decision,
  decide,
  resolve,
  type SimState,
  type TxnSpec,
  type World,
} from './simulate-decide.ts';

export { initialState, type SimState } from './simulate-decide.ts';
export type { TxnSpec, World };

// A balance of a few sessions' tariff: some prepares vote no for lack of credit.
export const DEFAULT_WORLD: World = { cells: 4, capacity: 6, accounts: 5, balance: 60 };

export const accountName = (account: number) => `a${account}`;
export const cellName = (cell: number) => `c${cell}`;

export interface Placed {
  spec: TxnSpec;
  i: number;
  invoke: number;
  complete: number;
  decidedAt: number;
  txnId: string;
}

export interface Leadership {
  changes: number[];
  records: LeaderRecord[];
  epochAt(time: number): number;
}

const NODES = ['n1', 'n2', 'n3'];
export const nodeOf = (epoch: number) => NODES[(epoch - 1) % NODES.length]!;

/** Epoch 1 from time 0, then one more at each change time; the old leader steps down just before. */
export function leadership(changeTimes: readonly number[]): Leadership {
  const changes = [...changeTimes].sort((a, b) => a - b);
  const records: LeaderRecord[] = [{ kind: 'leader', node: nodeOf(1), epoch: 1, event: 'acquire', at: 0 }];
  changes.forEach((c, k) => {
    records.push({ kind: 'leader', node: nodeOf(k + 1), epoch: k + 1, event: 'step-down', at: c - 1 });
    records.push({ kind: 'leader', node: nodeOf(k + 2), epoch: k + 2, event: 'acquire', at: c });
  });
  const epochAt = (time: number) => {
    let lo = 0;
    let hi = changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (changes[mid]! <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  return { changes, records, epochAt };
}

/** A history op with one property order for all (one hidden class); the index is set once the history is sorted. */
export function op(type: OpType, process: Process, f: string, value: unknown, time: number, error?: string): HistoryOp {
  const out = { index: 0, type, process, f, value, time } as HistoryOp;
  if (error !== undefined) out.error = error;
  return out;
}

/** The session's status in each DSM write (docs/api.md, GET): a create's own stages; a change leaves it active. */
function statusOf(d: Decision, dsmState: string): string {
  if (d.action === 'create') return dsmState;
  return d.action === 'release' && dsmState === 'COMMITTED' ? 'RELEASED' : 'COMMITTED';
}

function dsmWrites(
  p: Placed,
  d: Decision,
  states: readonly [string, number][],
  state: SimState,
  epochAt: (t: number) => number,
  out: Observation[],
) {
  const { sessionId } = d;
  for (const [dsmState, at] of states) {
    const version = (state.versions.get(sessionId) ?? 0) + 1;
    state.versions.set(sessionId, version);
    const token = epochAt(at);
    const node = nodeOf(token);
    const decided = dsmState === 'COMMITTED' || dsmState === 'ABORTED';
    out.push({
      kind: 'dsm',
      sessionId,
      txnId: p.txnId,
      version,
      state: dsmState as 'PENDING',
      status: statusOf(d, dsmState) as 'PENDING',
      revision: decided ? d.revision : d.revision - (d.committed ? 1 : 0),
      token,
      node,
      at,
    });
    const value = [version - 1, version];
    out.push({ kind: 'dsm-op', node, key: sessionId, f: 'cas', value, outcome: 'ok', start: at - 5, end: at + 5 });
  }
}

const vote = (yes: boolean) => (yes ? 'yes' : 'no') as 'yes' | 'no';

/** What each participant records of a committed txn: what the session holds after it, and what it gave back. */
function recorded(d: Decision) {
  if (!d.committed) return { rm: {}, billing: {} };
  const { before, after, action } = d;
  const rm = { cells: action === 'release' ? [] : [cellName(after.cell)] };
  const billing = {
    accountId: accountName(after.account),
    amount: action === 'release' ? 0 : amountOf(after.trafficClass),
  };
  if (!before) return { rm, billing };
  return {
    rm: { ...rm, releasedCells: [cellName(before.cell)] },
    billing: { ...billing, releasedAmount: amountOf(before.trafficClass) },
  };
}

/** The log row and both participants' records. */
function logAndParticipants(p: Placed, d: Decision, epochAt: (t: number) => number, out: Observation[]): void {
  const { spec, txnId } = p;
  const endedAt = p.decidedAt + 200;
  const decisionToken = epochAt(p.decidedAt);
  const token = epochAt(endedAt);
  out.push({
    ...{ kind: 'txn', txnId, sessionId: d.sessionId, requestId: `r${p.i}`, protocol: spec.protocol },
    ...{ action: d.action, trafficClass: d.after.trafficClass },
    ...{ participants: ['rm', 'billing'], state: d.outcome, votes: { rm: vote(d.rmYes), billing: vote(d.billingYes) } },
    ...(d.reason === undefined ? {} : { reason: d.reason }),
    ...{ token, decisionToken, createdAt: p.invoke + 100, decidedAt: p.decidedAt },
    ...{ decidedBy: nodeOf(decisionToken), endedAt },
  });
  const common = { kind: 'participant', txnId, state: d.outcome, token, at: endedAt, action: d.action } as const;
  // Only a committed row records what the session holds (an abort's tombstone carries none).
  const { rm, billing } = recorded(d);
  out.push({ ...common, participant: 'rm', vote: vote(d.rmYes), ...rm });
  out.push({ ...common, participant: 'billing', vote: vote(d.billingYes), ...billing });
}

/** The victim of a two-transaction deadlock, found by the detector and resolved at once. */
function deadlock(p: Placed, d: Decision, out: Observation[]): void {
  const createdAt = p.invoke + 100;
  const peer = `${p.txnId}x`;
  const resolvedAt = createdAt + 90;
  out.push({
    kind: 'deadlock',
    cycle: [p.txnId, peer],
    victim: p.txnId,
    method: 'detector',
    detectedAt: createdAt + 80,
    resolvedAt,
  });
  const edge = { kind: 'lock-wait', participant: 'rm', resource: cellName(d.after.cell), end: resolvedAt } as const;
  out.push({ ...edge, txnId: p.txnId, waitsFor: peer, start: createdAt + 60 });
  out.push({ ...edge, txnId: peer, waitsFor: p.txnId, start: createdAt + 70 });
}

const F = { create: 'create-session', modify: 'modify-session', release: 'release-session' } as const;

/** What the client sends: a create names everything; a modify what its spec changes; a release only the session. */
function requestOf(p: Placed, world: World, action: Decision['action'], sessionId: string) {
  const { spec } = p;
  const requestId = `r${p.i}`;
  const cells = [cellName(spec.cell % world.cells)];
  if (action === 'release') return { requestId, sessionId };
  if (action === 'modify') {
    const change = spec.change ?? 'both';
    return {
      ...{ requestId, sessionId },
      ...(change === 'cells' ? {} : { trafficClass: spec.trafficClass }),
      ...(change === 'class' ? {} : { cells }),
    };
  }
  const subscriberId = accountName(spec.account % world.accounts);
  return { requestId, subscriberId, trafficClass: spec.trafficClass, protocol: spec.protocol, cells };
}

function answer(p: Placed, d: Decision, timed: HistoryOp[]): void {
  const client = p.spec.process;
  const f = F[d.action];
  const { sessionId, outcome, reason, revision } = d;
  const { txnId } = p;
  const change = { kind: d.action, revision };
  if (p.spec.client === 'timeout') timed.push(op('info', client, f, { status: 504 }, p.complete, 'timeout'));
  else if (d.committed) timed.push(op('ok', client, f, { sessionId, txnId, outcome, ...change }, p.complete));
  else {
    const value = { sessionId, txnId, outcome, reason, status: 409, ...change };
    timed.push(op('fail', client, f, value, p.complete));
  }
}

export function emitTxn(
  p: Placed,
  world: World,
  state: SimState,
  epochAt: (t: number) => number,
  out: Observation[],
  timed: HistoryOp[],
): void {
  const { spec } = p;
  const client = spec.process;
  const resolved = resolve(spec, state);
  const { action, sessionId } = resolved;
  timed.push(op('invoke', client, F[action], requestOf(p, world, action, sessionId), p.invoke));
  if (spec.client === 'rejected') {
    timed.push(op('fail', client, F[action], { status: 503, reason: 'not_leader' }, p.complete));
    return;
  }
  const d = decide(spec, world, state, resolved);
  logAndParticipants(p, d, epochAt, out);
  const createdAt = p.invoke + 100;
  const states: [string, number][] = [['PENDING', createdAt]];
  if (d.committed) states.push(['PREPARED', createdAt + 50]);
  if (d.committed && spec.protocol === '3pc') states.push(['PRECOMMITTED', createdAt + 60]);
  states.push([d.committed ? 'COMMITTED' : 'ABORTED', p.decidedAt + 100]);
  dsmWrites(p, d, states, state, epochAt, out);
  const seq = (state.seqs.get(d.sessionId) ?? 0) + 1;
  state.seqs.set(d.sessionId, seq);
  const eventAt = p.decidedAt + 300;
  out.push({
    kind: 'event',
    entryId: '',
    sessionId: d.sessionId,
    txnId: p.txnId,
    outcome: d.outcome,
    seq,
    token: epochAt(eventAt),
    at: eventAt,
  });
  if (spec.deadlock) deadlock(p, d, out);
  answer(p, d, timed);
}
