// Proves the linearizability search on random concurrent histories of correct registers (each op takes effect
// between its invocation and completion, some crash as info): all pass, with a witness order that respects real time
// and replays on the model. A single corrupted read value either fails or is shown linearizable by such a witness.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HistoryOp } from '../../format/history.ts';
import { checkPartitions, historyPartitions } from '../linearizable.ts';
import { simulateRegister } from '../testing/register.ts';
import { expectWitness } from './generators.ts';

const registerHistory = fc
  .record({
    choices: fc.array(fc.nat(), { maxLength: 240 }),
    processes: fc.integer({ min: 1, max: 6 }),
    keys: fc.integer({ min: 1, max: 3 }),
    values: fc.integer({ min: 2, max: 5 }),
  })
  .map(({ choices, ...opts }) => simulateRegister(choices, opts));

function verdicts(history: readonly HistoryOp[]) {
  return checkPartitions(historyPartitions(history), { timeLimitMs: 5_000 });
}

describe('random register histories', () => {
  it('are linearizable, with a witness', () => {
    fc.assert(
      fc.property(registerHistory, (history) => {
        for (const { partition, result } of verdicts(history)) {
          expect(result.kind).toBe('linearizable');
          if (result.kind === 'linearizable') expectWitness(partition, result.order);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('with one read value corrupted, fail or are shown linearizable by a witness', () => {
    const withRead = registerHistory.filter((h) => h.some((op) => op.type === 'ok' && op.f === 'read'));
    fc.assert(
      fc.property(withRead, fc.nat(), fc.integer({ min: 1, max: 6 }), (history, pick, delta) => {
        const reads = history.filter((op) => op.type === 'ok' && op.f === 'read');
        const target = reads[pick % reads.length]!;
        const corrupted = history.map((op) =>
          op === target ? { ...op, value: ((op.value as number | null) ?? 0) + delta } : op,
        );
        let failed = false;
        for (const { partition, result } of verdicts(corrupted)) {
          expect(result.kind).not.toBe('unknown');
          if (result.kind === 'linearizable') expectWitness(partition, result.order);
          else failed = true;
        }
        // A value no write ever wrote cannot be read: that corruption must fail.
        if (((target.value as number | null) ?? 0) + delta >= 5) expect(failed).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
