// One transaction of the simulated correct system: its client ops and every record the servers would keep.
import type { HistoryOp, OpType, Process } from '../history.ts';
import type { LeaderRecord, Observation } from '../observations.ts';
import type { TxnSpec, World } from './simulate.ts';

export interface Placed {
  spec: TxnSpec;
  i: number;
  invoke: number;
  complete: number;
  decidedAt: number;
  txnId: string;
  sessionId: string;
}

export interface SimState {
  used: number[];
  spent: number[];
  versions: Map<string, number>;
  seqs: Map<string, number>;
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

function abortReason(spec: TxnSpec, rmYes: boolean): string {
  if (spec.deadlock) return 'deadlock';
  if (!rmYes) return spec.rmYes ? 'no-capacity' : 'rm-voted-no';
  return spec.billingYes ? 'insufficient-credit' : 'billing-voted-no';
}

function dsmWrites(
  p: Placed,
  states: readonly [string, number][],
  state: SimState,
  epochAt: (t: number) => number,
  out: Observation[],
) {
  for (const [dsmState, at] of states) {
    const version = (state.versions.get(p.sessionId) ?? 0) + 1;
    state.versions.set(p.sessionId, version);
    const token = epochAt(at);
    const node = nodeOf(token);
    out.push({
      kind: 'dsm',
      sessionId: p.sessionId,
      txnId: p.txnId,
      version,
      state: dsmState as 'PENDING',
      token,
      node,
      at,
    });
    const value = [version - 1, version];
    out.push({ kind: 'dsm-op', node, key: p.sessionId, f: 'cas', value, outcome: 'ok', start: at - 5, end: at + 5 });
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
  const { spec, txnId, sessionId } = p;
  const cell = spec.cell % world.cells;
  const account = spec.account % world.accounts;
  const client = spec.process;
  const f = 'create-session';
  const request = {
    requestId: `r${p.i}`,
    subscriberId: `sub${account}`,
    trafficClass: spec.trafficClass,
    protocol: spec.protocol,
    cells: [`c${cell}`],
  };
  timed.push(op('invoke', client, f, request, p.invoke));
  if (spec.client === 'rejected') {
    timed.push(op('fail', client, f, { status: 503, reason: 'not_leader' }, p.complete));
    return;
  }
  const rmYes = spec.rmYes && !spec.deadlock && state.used[cell]! < world.capacity;
  const billingYes = spec.billingYes && world.balance - state.spent[account]! >= spec.amount;
  const committed = rmYes && billingYes;
  if (committed) {
    state.used[cell]!++;
    state.spent[account]! += spec.amount;
  }
  const outcome = committed ? 'committed' : 'aborted';
  const reason = committed ? undefined : abortReason(spec, rmYes);
  const createdAt = p.invoke + 100;
  const endedAt = p.decidedAt + 200;
  const vote = (yes: boolean) => (yes ? 'yes' : 'no') as 'yes' | 'no';
  const decisionToken = epochAt(p.decidedAt);
  out.push({
    ...{
      kind: 'txn',
      txnId,
      sessionId,
      requestId: `r${p.i}`,
      protocol: spec.protocol,
      trafficClass: spec.trafficClass,
    },
    ...{ participants: ['rm', 'billing'], state: outcome, votes: { rm: vote(rmYes), billing: vote(billingYes) } },
    ...(reason === undefined ? {} : { reason }),
    ...{
      token: epochAt(endedAt),
      decisionToken,
      createdAt,
      decidedAt: p.decidedAt,
      decidedBy: nodeOf(decisionToken),
      endedAt,
    },
  });
  const token = epochAt(endedAt);
  out.push({
    kind: 'participant',
    participant: 'rm',
    txnId,
    vote: vote(rmYes),
    state: outcome,
    token,
    at: endedAt,
    cells: [`c${cell}`],
  });
  const bill = { accountId: `a${account}`, amount: spec.amount };
  out.push({
    kind: 'participant',
    participant: 'billing',
    txnId,
    vote: vote(billingYes),
    state: outcome,
    token,
    at: endedAt,
    ...bill,
  });
  const states: [string, number][] = [['PENDING', createdAt]];
  if (committed) states.push(['PREPARED', createdAt + 50]);
  if (committed && spec.protocol === '3pc') states.push(['PRECOMMITTED', createdAt + 60]);
  states.push([committed ? 'COMMITTED' : 'ABORTED', p.decidedAt + 100]);
  dsmWrites(p, states, state, epochAt, out);
  const seq = (state.seqs.get(sessionId) ?? 0) + 1;
  state.seqs.set(sessionId, seq);
  const eventAt = p.decidedAt + 300;
  out.push({ kind: 'event', entryId: '', sessionId, txnId, outcome, seq, token: epochAt(eventAt), at: eventAt });
  if (spec.deadlock) {
    const peer = `${txnId}x`;
    const resolvedAt = createdAt + 90;
    out.push({
      kind: 'deadlock',
      cycle: [txnId, peer],
      victim: txnId,
      method: 'detector',
      detectedAt: createdAt + 80,
      resolvedAt,
    });
    out.push({
      kind: 'lock-wait',
      participant: 'rm',
      txnId,
      waitsFor: peer,
      resource: `c${cell}`,
      start: createdAt + 60,
      end: resolvedAt,
    });
    out.push({
      kind: 'lock-wait',
      participant: 'rm',
      txnId: peer,
      waitsFor: txnId,
      resource: `c${cell}`,
      start: createdAt + 70,
      end: resolvedAt,
    });
  }
  const done = p.complete;
  if (spec.client === 'timeout') timed.push(op('info', client, f, { status: 504 }, done, 'timeout'));
  else if (committed) timed.push(op('ok', client, f, { sessionId, txnId, outcome }, done));
  else timed.push(op('fail', client, f, { sessionId, txnId, outcome, reason, status: 409 }, done));
}
