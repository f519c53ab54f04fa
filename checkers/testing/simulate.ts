// A correct system, simulated: turns a list of transaction specs into the history and observations a correct run
// would record. Every checker must accept what it produces (property tests draw the specs with fast-check; the
// benchmarks with a seeded PRNG), and mutations of it must be caught. Times are in ns; a spec's gap and duration are
// in microseconds so that the few internal steps of a transaction fit between its invocation and completion.
import type { HistoryOp } from '../../format/history.ts';
import { addObservation, emptyObservations, type Observation, type Observations } from '../../format/observations.ts';
import {
  accountName,
  cellName,
  DEFAULT_WORLD,
  emitTxn,
  initialState,
  leadership,
  op,
  type Placed,
  type TxnSpec,
  type World,
} from './simulate-txn.ts';

export { DEFAULT_WORLD, type TxnSpec, type World } from './simulate-txn.ts';

export interface Simulated {
  history: HistoryOp[];
  observations: Observations;
}

/** Client-side timing: each process runs its ops one after another. */
function place(specs: readonly TxnSpec[]): Placed[] {
  const free = new Map<number, number>();
  return specs.map((spec, i) => {
    const invoke = (free.get(spec.process) ?? 0) + spec.gapUs * 1000;
    const complete = invoke + (spec.client === 'rejected' ? 1000 : spec.durationUs * 1000);
    free.set(spec.process, complete + (spec.readTotals ? 2000 : 0));
    const decidedAt = invoke + spec.durationUs * 500;
    return { spec, i, invoke, complete, decidedAt, txnId: `t${i}` };
  });
}

function nemesisOps(changes: readonly number[], out: HistoryOp[]): void {
  let free = 0;
  for (const c of changes) {
    if (c - 40 < free) continue;
    out.push(op('invoke', 'nemesis', 'kill', { node: 'leader' }, c - 40));
    out.push(op('info', 'nemesis', 'kill', { node: 'leader' }, c - 30));
    free = c - 30;
  }
}

/** Initial and final snapshots of every account and cell: what the commits moved, nothing lost. */
function snapshots(world: World, state: { used: number[]; spent: number[]; charged: number[] }, out: Observation[]) {
  const end = 1e15;
  for (let a = 0; a < world.accounts; a++) {
    const account = { kind: 'account', accountId: accountName(a), held: 0 } as const;
    const spent = state.spent[a]!;
    const charged = state.charged[a]!;
    out.push({ ...account, phase: 'initial', balance: world.balance, spent: 0, charged: 0, at: 0 });
    out.push({ ...account, phase: 'final', balance: world.balance - spent - charged, spent, charged, at: end });
  }
  for (let c = 0; c < world.cells; c++) {
    const cell = { kind: 'cell', cellId: cellName(c), capacity: world.capacity, held: 0 } as const;
    const used = state.used[c]!;
    out.push({ ...cell, phase: 'initial', free: world.capacity, used: 0, at: 0 });
    out.push({ ...cell, phase: 'final', free: world.capacity - used, used, at: end });
  }
}

export function simulate(specs: readonly TxnSpec[], world: World = DEFAULT_WORLD): Simulated {
  const placed = place(specs);
  const lead = leadership(
    placed.filter((p) => p.spec.client !== 'rejected' && p.spec.leaderChange).map((p) => p.decidedAt - 50),
  );
  const records: Observation[] = [...lead.records];
  const timed: HistoryOp[] = [];
  nemesisOps(lead.changes, timed);

  const state = initialState(world);
  // Votes depend on resources, so transactions are decided in decision-time order.
  const byDecision = [...placed].sort((a, b) => a.decidedAt - b.decidedAt || a.i - b.i);
  for (const p of byDecision) emitTxn(p, world, state, lead.epochAt, records, timed);

  snapshots(world, state, records);
  const totals = { credit: world.accounts * world.balance, channels: world.cells * world.capacity };
  for (const p of placed) {
    if (!p.spec.readTotals) continue;
    const at = p.complete + 1000;
    timed.push(op('invoke', p.spec.process, 'read-totals', null, at));
    timed.push(op('ok', p.spec.process, 'read-totals', totals, at + 500));
  }
  // Stable sort: at equal times, ops keep the order they were emitted in (invoke before its completion).
  const order = Uint32Array.from(timed, (_, i) => i).sort((a, b) => timed[a]!.time - timed[b]!.time || a - b);
  const history = Array.from(order, (i, index) => {
    const o = timed[i]!;
    o.index = index;
    return o;
  });
  const observations = emptyObservations();
  for (const r of records) addObservation(observations, r);
  observations.event.sort((a, b) => a.at - b.at);
  observations.event.forEach((e, n) => {
    e.entryId = `${Math.floor(e.at / 1e6)}-${n}`;
  });
  return { history, observations };
}
