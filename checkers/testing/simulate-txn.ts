// One transaction of the simulated correct system: its client ops and every record the servers would keep.
import type { HistoryOp, OpType, Process } from '../../format/history.ts';
import type { LeaderRecord, Observation, TxnRecord } from '../../format/observations.ts';
import { documentedTariff } from '../asked-for.ts';

export interface TxnSpec {
  process: number;
  /** Session number within the process: a process runs one op at a time, so a session's transactions never overlap. */
  session: number;
  protocol: TxnRecord['protocol'];
  trafficClass: NonNullable<TxnRecord['trafficClass']>;
  rmYes: boolean;
  billingYes: boolean;
  /** answer: the client hears the outcome; timeout: info; rejected: 503 before any transaction starts. */
  client: 'answer' | 'timeout' | 'rejected';
  gapUs: number;
  durationUs: number;
  cell: number;
  account: number;
  /** A new leader takes over just before this transaction's decision. */
  leaderChange: boolean;
  /** This transaction is a deadlock victim (found by the detector and aborted). */
  deadlock: boolean;
  /** The client reads the credit and channel totals afterwards. */
  readTotals: boolean;
}

export interface World {
  cells: number;
  capacity: number;
  accounts: number;
  balance: number;
}

// A balance of a few sessions' tariff: some prepares vote no for lack of credit.
export const DEFAULT_WORLD: World = { cells: 4, capacity: 6, accounts: 5, balance: 60 };

/** A correct system charges the documented tariff, to the subscriber's own account, on the cells asked for. */
const amountOf = (spec: TxnSpec) => documentedTariff[spec.trafficClass]!;
export const accountName = (account: number) => `a${account}`;
export const cellName = (cell: number) => `c${cell}`;

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

/** What the transaction's participants decide, given what earlier decisions used up. */
interface Decision {
  cell: number;
  account: number;
  rmYes: boolean;
  billingYes: boolean;
  committed: boolean;
  outcome: 'committed' | 'aborted';
  reason: string | undefined;
}

function decide(spec: TxnSpec, world: World, state: SimState): Decision {
  const cell = spec.cell % world.cells;
  const account = spec.account % world.accounts;
  const rmYes = spec.rmYes && !spec.deadlock && state.used[cell]! < world.capacity;
  const billingYes = spec.billingYes && world.balance - state.spent[account]! >= amountOf(spec);
  const committed = rmYes && billingYes;
  if (committed) {
    state.used[cell]!++;
    state.spent[account]! += amountOf(spec);
  }
  const reason = committed ? undefined : abortReason(spec, rmYes);
  return { cell, account, rmYes, billingYes, committed, outcome: committed ? 'committed' : 'aborted', reason };
}

const vote = (yes: boolean) => (yes ? 'yes' : 'no') as 'yes' | 'no';

/** The log row and both participants' records. */
function logAndParticipants(p: Placed, d: Decision, epochAt: (t: number) => number, out: Observation[]): void {
  const { spec, txnId, sessionId } = p;
  const endedAt = p.decidedAt + 200;
  const decisionToken = epochAt(p.decidedAt);
  const token = epochAt(endedAt);
  out.push({
    ...{
      kind: 'txn',
      txnId,
      sessionId,
      requestId: `r${p.i}`,
      protocol: spec.protocol,
      trafficClass: spec.trafficClass,
    },
    ...{ participants: ['rm', 'billing'], state: d.outcome, votes: { rm: vote(d.rmYes), billing: vote(d.billingYes) } },
    ...(d.reason === undefined ? {} : { reason: d.reason }),
    ...{ token, decisionToken, createdAt: p.invoke + 100, decidedAt: p.decidedAt },
    ...{ decidedBy: nodeOf(decisionToken), endedAt },
  });
  const common = { kind: 'participant', txnId, state: d.outcome, token, at: endedAt } as const;
  const recorded = d.committed ? { cells: [cellName(d.cell)] } : {};
  out.push({ ...common, participant: 'rm', vote: vote(d.rmYes), ...recorded });
  out.push({
    ...common,
    participant: 'billing',
    vote: vote(d.billingYes),
    // Only a committed row records its request (an abort's tombstone carries none).
    ...(d.committed ? { accountId: accountName(d.account), amount: amountOf(spec) } : {}),
  });
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
  const edge = { kind: 'lock-wait', participant: 'rm', resource: cellName(d.cell), end: resolvedAt } as const;
  out.push({ ...edge, txnId: p.txnId, waitsFor: peer, start: createdAt + 60 });
  out.push({ ...edge, txnId: peer, waitsFor: p.txnId, start: createdAt + 70 });
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
  const client = spec.process;
  const f = 'create-session';
  const cells = [cellName(spec.cell % world.cells)];
  const request = {
    requestId: `r${p.i}`,
    subscriberId: accountName(spec.account % world.accounts),
    trafficClass: spec.trafficClass,
    protocol: spec.protocol,
    cells,
  };
  timed.push(op('invoke', client, f, request, p.invoke));
  if (spec.client === 'rejected') {
    timed.push(op('fail', client, f, { status: 503, reason: 'not_leader' }, p.complete));
    return;
  }
  const d = decide(spec, world, state);
  logAndParticipants(p, d, epochAt, out);
  const createdAt = p.invoke + 100;
  const states: [string, number][] = [['PENDING', createdAt]];
  if (d.committed) states.push(['PREPARED', createdAt + 50]);
  if (d.committed && spec.protocol === '3pc') states.push(['PRECOMMITTED', createdAt + 60]);
  states.push([d.committed ? 'COMMITTED' : 'ABORTED', p.decidedAt + 100]);
  dsmWrites(p, states, state, epochAt, out);
  const seq = (state.seqs.get(sessionId) ?? 0) + 1;
  state.seqs.set(sessionId, seq);
  const eventAt = p.decidedAt + 300;
  out.push({
    kind: 'event',
    entryId: '',
    sessionId,
    txnId,
    outcome: d.outcome,
    seq,
    token: epochAt(eventAt),
    at: eventAt,
  });
  if (spec.deadlock) deadlock(p, d, out);
  const { outcome, reason } = d;
  if (spec.client === 'timeout') timed.push(op('info', client, f, { status: 504 }, p.complete, 'timeout'));
  else if (d.committed) timed.push(op('ok', client, f, { sessionId, txnId, outcome }, p.complete));
  else timed.push(op('fail', client, f, { sessionId, txnId, outcome, reason, status: 409 }, p.complete));
}
