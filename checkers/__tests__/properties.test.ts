// Proves, over random interleavings of a correct system's behaviour (with info outcomes, leader changes and
// deadlocks), that every checker accepts them, and that each mutation a real bug would cause is rejected by the
// checker responsible for it. Counterexamples shrink and print their seed for replay.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atomicity } from '../atomicity.ts';
import { conservation } from '../conservation.ts';
import { checkerByName, defaultCheckerNames } from '../index.ts';
import { liveness } from '../liveness.ts';
import { requests } from '../requests.ts';
import { compose } from '../result.ts';
import { singleLeader } from '../single-leader.ts';
import { streamOrdering } from '../stream-ordering.ts';
import { simulate } from '../testing/simulate.ts';
import {
  dropCommitRecord,
  dropEvent,
  dropLastCompletion,
  flipParticipant,
  repeatRequest,
  reuseEpoch,
  specs,
  specsWithSharedSession,
  swapSequences,
} from './generators.ts';

// The simulated runs carry no fault schedule (start, stop, final heal), so `faults` does not apply to them.
const all = compose(defaultCheckerNames(false).map((name) => checkerByName(name)!));
const runs = { numRuns: 150 };

describe('generated correct runs', () => {
  it('pass every checker', () => {
    fc.assert(
      fc.property(specs, (s) => {
        const sim = simulate(s);
        const r = all.check(sim.history, sim.observations, {});
        expect(r.anomalies).toEqual([]);
        // A generated run may give a checker nothing to examine (say, every request rejected before a transaction
        // began): that checker says unknown for that reason, and only for it.
        for (const [name, result] of Object.entries(r.results)) {
          if (result.valid !== true) expect(result.error, name).toMatch(/^examined nothing: /);
        }
      }),
      runs,
    );
  });
});

describe('mutations of correct runs are caught by the right checker', () => {
  it('a dropped stream event: stream ordering', () => {
    fc.assert(
      fc.property(specsWithSharedSession, fc.nat(), (s, pick) => {
        const sim = simulate(s);
        expect(streamOrdering.check(sim.history, dropEvent(sim, pick), {}).valid).toBe(false);
      }),
      runs,
    );
  });

  it('a flipped participant outcome: atomicity', () => {
    fc.assert(
      fc.property(specsWithSharedSession, fc.nat(), (s, pick) => {
        const sim = simulate(s);
        const r = atomicity.check(sim.history, flipParticipant(sim, pick), {});
        expect(r.valid).toBe(false);
        expect(r.anomalies.map((a) => a.type)).toContain('partial-commit');
      }),
      runs,
    );
  });

  it("a participant's lost commit record: atomicity", () => {
    fc.assert(
      fc.property(specs, fc.nat(), (s, pick) => {
        const sim = simulate(s);
        const obs = dropCommitRecord(sim, pick);
        fc.pre(obs !== undefined);
        const r = atomicity.check(sim.history, obs!, {});
        expect(r.anomalies.map((a) => a.type)).toContain('outcome-not-reached');
      }),
      runs,
    );
  });

  it('a request carried out twice: requests', () => {
    fc.assert(
      fc.property(specs, fc.nat(), (s, pick) => {
        const sim = simulate(s);
        const obs = repeatRequest(sim, pick);
        fc.pre(obs !== undefined);
        const r = requests.check(sim.history, obs!, {});
        expect(r.anomalies.map((a) => a.type)).toContain('request-with-two-txns');
      }),
      runs,
    );
  });

  it('a reused epoch: single leader', () => {
    fc.assert(
      fc.property(specsWithSharedSession, (s) => {
        const sim = simulate(s);
        expect(singleLeader.check(sim.history, reuseEpoch(sim), {}).valid).toBe(false);
      }),
      runs,
    );
  });

  it('two swapped sequence numbers: stream ordering', () => {
    fc.assert(
      fc.property(specsWithSharedSession, (s) => {
        const sim = simulate(s);
        const r = streamOrdering.check(sim.history, swapSequences(sim), {});
        expect(r.anomalies.map((a) => a.type)).toContain('non-monotonic-sequence');
      }),
      runs,
    );
  });

  it('a dropped completion: liveness', () => {
    fc.assert(
      fc.property(specs, fc.nat(), (s, pick) => {
        const sim = simulate(s);
        const r = liveness.check(dropLastCompletion(sim.history, pick), sim.observations, {});
        expect(r.anomalies.map((a) => a.type)).toEqual(['never-completed']);
      }),
      runs,
    );
  });

  it('credit spent without a commit: conservation', () => {
    fc.assert(
      fc.property(specs, fc.nat(), (s, pick) => {
        const sim = simulate(s);
        const finals = sim.observations.account.filter((a) => a.phase === 'final');
        const account = finals[pick % finals.length]!;
        account.spent += 1;
        expect(conservation.check(sim.history, sim.observations, {}).valid).toBe(false);
      }),
      runs,
    );
  });

  it('a committed charge off the tariff: conservation', () => {
    fc.assert(
      fc.property(specs, fc.nat(), (s, pick) => {
        const sim = simulate(s);
        const charges = sim.observations.participant.filter((p) => p.state === 'committed' && p.amount !== undefined);
        fc.pre(charges.length > 0);
        const charge = charges[pick % charges.length]!;
        charge.amount! += 1;
        const r = conservation.check(sim.history, sim.observations, {});
        expect(r.anomalies.filter((a) => a.type === 'charge-mismatch').map((a) => a.key)).toEqual([charge.txnId]);
      }),
      runs,
    );
  });
});
