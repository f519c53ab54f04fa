// fast-check generators of correct runs (random interleavings of the simulated system, with info outcomes, leader
// changes and deadlocks), the mutations the checkers must catch, and a witness verifier for linearizability.
import fc from 'fast-check';
import { expect } from 'vitest';
import type { HistoryOp } from '../../format/history.ts';
import type { Observations } from '../../format/observations.ts';
import { type Partition, registerModel } from '../linearizable.ts';
import type { Simulated, TxnSpec } from '../testing/simulate.ts';

export const txnSpec: fc.Arbitrary<TxnSpec> = fc.record({
  process: fc.integer({ min: 0, max: 4 }),
  session: fc.constantFrom(0, 0, 0, 1),
  protocol: fc.constantFrom('2pc', '3pc'),
  trafficClass: fc.constantFrom('voice', 'video', 'data'),
  // Mostly yes, so that sessions live long enough to be modified and released; still an abort in most runs.
  rmYes: fc.constantFrom(true, true, true, false),
  billingYes: fc.constantFrom(true, true, true, false),
  client: fc.constantFrom('answer', 'answer', 'answer', 'timeout', 'rejected'),
  gapUs: fc.integer({ min: 1, max: 20 }),
  durationUs: fc.integer({ min: 4, max: 40 }),
  cell: fc.nat(3),
  account: fc.nat(4),
  leaderChange: fc.boolean(),
  deadlock: fc.constantFrom(false, false, false, true),
  readTotals: fc.boolean(),
  action: fc.constantFrom('create', 'create', 'modify', 'modify', 'release'),
  change: fc.constantFrom('class', 'cells', 'both'),
});

export const specs = fc.array(txnSpec, { minLength: 1, maxLength: 30 });

/**
 * Specs whose first two transactions run on one session and are answered: the stream has a session with two events
 * (a create then a modify of it, or, when the create aborted, a second create of the same session).
 */
export const specsWithSharedSession = fc
  .tuple(txnSpec, txnSpec, fc.array(txnSpec, { maxLength: 20 }))
  .map(([a, b, rest]) => [
    { ...a, process: 0, session: 0, client: 'answer' as const, leaderChange: true, action: 'create' as const },
    { ...b, process: 0, session: 0, client: 'answer' as const, action: 'modify' as const },
    ...rest,
  ]);

/**
 * A session's whole life on process 0 (create, modify, release, each answered and voted for; a participant may still
 * refuse for lack of credit or channels), among other transactions.
 */
const lifeStep = (action: 'create' | 'modify' | 'release') => (spec: TxnSpec) => ({
  ...spec,
  ...{ process: 0, session: 0, client: 'answer' as const, action },
  ...{ rmYes: true, billingYes: true, deadlock: false },
});
export const specsWithLifecycle = fc
  .tuple(txnSpec, txnSpec, txnSpec, fc.array(txnSpec, { maxLength: 20 }))
  .map(([a, b, c, rest]) => [lifeStep('create')(a), lifeStep('modify')(b), lifeStep('release')(c), ...rest]);

/** A deep copy, so a mutation never leaks into another property run. */
export function clone(sim: Simulated): Simulated {
  return structuredClone(sim);
}

export function dropEvent(sim: Simulated, pick: number): Observations {
  const obs = structuredClone(sim.observations);
  obs.event.splice(pick % obs.event.length, 1);
  return obs;
}

export function flipParticipant(sim: Simulated, pick: number): Observations {
  const obs = structuredClone(sim.observations);
  const p = obs.participant[pick % obs.participant.length]!;
  p.state = p.state === 'committed' ? 'aborted' : 'committed';
  return obs;
}

/**
 * Drops one participant's record of a committed transaction, of a participant with other records (one that left
 * none at all was not collected, and is not judged); undefined when there is no such record.
 */
export function dropCommitRecord(sim: Simulated, pick: number): Observations | undefined {
  const obs = structuredClone(sim.observations);
  const records = new Map<string, number>();
  for (const p of obs.participant) records.set(p.participant, (records.get(p.participant) ?? 0) + 1);
  const committed = obs.participant.flatMap((p, i) =>
    p.state === 'committed' && records.get(p.participant)! > 1 ? [i] : [],
  );
  if (committed.length === 0) return undefined;
  obs.participant.splice(committed[pick % committed.length]!, 1);
  return obs;
}

/** Carries out one logged request a second time: another log row with the same request id. */
export function repeatRequest(sim: Simulated, pick: number): Observations | undefined {
  const obs = structuredClone(sim.observations);
  if (obs.txn.length === 0) return undefined;
  const first = obs.txn[pick % obs.txn.length]!;
  obs.txn.push({ ...first, txnId: `${first.txnId}-again` });
  return obs;
}

/** The first leader change reuses the epoch before it. */
export function reuseEpoch(sim: Simulated): Observations {
  const obs = structuredClone(sim.observations);
  const acquire = obs.leader.find((l) => l.event === 'acquire' && l.epoch > 1)!;
  acquire.epoch -= 1;
  return obs;
}

/** Swaps the sequence numbers of the first two events of session s0-0 (the first two transactions'). */
export function swapSequences(sim: Simulated): Observations {
  const obs = structuredClone(sim.observations);
  const [a, b] = obs.event.filter((e) => e.sessionId === 's0-0');
  [a!.seq, b!.seq] = [b!.seq, a!.seq];
  return obs;
}

/** Drops the last completion of some process: its invocation then never completes. */
export function dropLastCompletion(history: readonly HistoryOp[], pick: number): HistoryOp[] {
  const last = new Map<string, number>();
  for (const op of history) if (op.type !== 'invoke') last.set(String(op.process), op.index);
  const candidates = [...last.values()];
  const drop = candidates[pick % candidates.length]!;
  return history.filter((op) => op.index !== drop).map((op, index) => ({ ...op, index }));
}

/** A linearization must place every op with a known outcome, respect real time, and replay on the model. */
export function expectWitness(p: Partition, order: readonly number[]): void {
  const position = new Map(order.map((op, k) => [op, k]));
  p.ops.forEach((op, i) => {
    if (op.ret !== Number.POSITIVE_INFINITY) expect(position.has(i)).toBe(true);
  });
  for (const a of order) {
    for (const b of order) {
      if (p.ops[a]!.ret < p.ops[b]!.call) expect(position.get(a)!).toBeLessThan(position.get(b)!);
    }
  }
  const model = registerModel(p.initial);
  let state = model.init();
  for (const i of order) {
    const r = model.step(state, p.ops[i]!.input, p.ops[i]!.output);
    expect(r.ok).toBe(true);
    if (r.ok) state = r.state;
  }
}

/** The committed log rows of one kind of change, in the log's order. */
const committedOf = (sim: Simulated, action: 'modify' | 'release') =>
  sim.observations.txn.filter((t) => t.action === action && t.state === 'committed');

/** A committed release's channels never come back: one of its cells is still used at the end. */
export function keepReleasedChannel(sim: Simulated, pick: number): Observations | undefined {
  const obs = structuredClone(sim.observations);
  const releases = committedOf(sim, 'release');
  if (releases.length === 0) return undefined;
  const txnId = releases[pick % releases.length]!.txnId;
  const cell = obs.participant.find((p) => p.txnId === txnId && p.releasedCells)!.releasedCells![0]!;
  const final = obs.cell.find((c) => c.phase === 'final' && c.cellId === cell)!;
  final.used += 1;
  final.free -= 1;
  return obs;
}

/** A committed release's credit goes back to the balance instead of being charged. */
export function refundRelease(sim: Simulated, pick: number): Observations | undefined {
  const obs = structuredClone(sim.observations);
  const releases = committedOf(sim, 'release');
  if (releases.length === 0) return undefined;
  const txnId = releases[pick % releases.length]!.txnId;
  const billing = obs.participant.find((p) => p.txnId === txnId && p.participant === 'billing')!;
  const final = obs.account.find((a) => a.phase === 'final' && a.accountId === billing.accountId)!;
  final.charged! -= billing.releasedAmount!;
  final.balance += billing.releasedAmount!;
  return obs;
}

/**
 * A committed modify that changed the class is held at the old tariff, and the snapshots agree with the record (as a
 * coordinator that asked for the wrong amount would leave them): only the request can tell. Returns its txn id.
 */
export function modifyAtOldTariff(sim: Simulated, pick: number): { obs: Observations; txnId: string } | undefined {
  const obs = structuredClone(sim.observations);
  const changed = obs.participant.filter(
    (p) => p.action === 'modify' && p.state === 'committed' && p.amount !== p.releasedAmount && p.amount !== undefined,
  );
  if (changed.length === 0) return undefined;
  const billing = changed[pick % changed.length]!;
  const less = billing.amount! - billing.releasedAmount!;
  billing.amount = billing.releasedAmount;
  const final = obs.account.find((a) => a.phase === 'final' && a.accountId === billing.accountId)!;
  final.spent -= less;
  final.balance += less;
  return { obs, txnId: billing.txnId };
}

/** One committed modify request carried out again: a second log row with its request id. */
export function repeatModify(sim: Simulated, pick: number): Observations | undefined {
  const obs = structuredClone(sim.observations);
  const modifies = committedOf(sim, 'modify');
  if (modifies.length === 0) return undefined;
  const first = modifies[pick % modifies.length]!;
  obs.txn.push({ ...first, txnId: `${first.txnId}-again` });
  return obs;
}

/** A committed release's event is lost. Returns the release's txn id. */
export function dropReleaseEvent(sim: Simulated, pick: number): { obs: Observations; txnId: string } | undefined {
  const obs = structuredClone(sim.observations);
  const releases = committedOf(sim, 'release');
  if (releases.length === 0) return undefined;
  const txnId = releases[pick % releases.length]!.txnId;
  obs.event = obs.event.filter((e) => e.txnId !== txnId);
  return { obs, txnId };
}

/**
 * The events of session s0-0's last two transactions trade places in the stream (each keeps its slot's sequence
 * number): the later transaction's event comes first.
 */
export function swapLastTwoEvents(sim: Simulated): Observations {
  const obs = structuredClone(sim.observations);
  const events = obs.event.filter((e) => e.sessionId === 's0-0');
  const [a, b] = events.slice(-2);
  [a!.txnId, b!.txnId] = [b!.txnId, a!.txnId];
  [a!.outcome, b!.outcome] = [b!.outcome, a!.outcome];
  return obs;
}
