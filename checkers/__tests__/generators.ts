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
  session: fc.integer({ min: 0, max: 1 }),
  protocol: fc.constantFrom('2pc', '3pc'),
  trafficClass: fc.constantFrom('voice', 'video', 'data'),
  rmYes: fc.boolean(),
  billingYes: fc.boolean(),
  client: fc.constantFrom('answer', 'answer', 'answer', 'timeout', 'rejected'),
  gapUs: fc.integer({ min: 1, max: 20 }),
  durationUs: fc.integer({ min: 4, max: 40 }),
  cell: fc.nat(3),
  account: fc.nat(4),
  leaderChange: fc.boolean(),
  deadlock: fc.boolean(),
  readTotals: fc.boolean(),
});

export const specs = fc.array(txnSpec, { minLength: 1, maxLength: 30 });

/** Specs whose first two transactions run on one session and are answered: the stream has a session with two events. */
export const specsWithSharedSession = fc
  .tuple(txnSpec, txnSpec, fc.array(txnSpec, { maxLength: 20 }))
  .map(([a, b, rest]) => [
    { ...a, process: 0, session: 0, client: 'answer' as const, leaderChange: true },
    { ...b, process: 0, session: 0, client: 'answer' as const },
    ...rest,
  ]);

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
