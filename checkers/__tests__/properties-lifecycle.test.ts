// Proves, over random runs of a correct system in which one session lives its whole life (created, modified,
// released) among other transactions, that every checker accepts them, and that each mutation a lifecycle bug would
// cause is rejected by the checker responsible for it. Counterexamples shrink and print their seed for replay.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atomicity } from '../atomicity.ts';
import { conservation } from '../conservation.ts';
import { checkerByName, defaultCheckerNames } from '../index.ts';
import { requests } from '../requests.ts';
import { compose } from '../result.ts';
import { streamOrdering } from '../stream-ordering.ts';
import { simulate } from '../testing/simulate.ts';
import {
  dropReleaseEvent,
  keepReleasedChannel,
  modifyAtOldTariff,
  refundRelease,
  repeatModify,
  specsWithLifecycle,
  swapLastTwoEvents,
} from './generators.ts';

const all = compose(defaultCheckerNames(false).map((name) => checkerByName(name)!));
const runs = { numRuns: 100 };
const typesOf = (r: { anomalies: { type: string }[] }) => r.anomalies.map((a) => a.type);

describe('generated runs with a whole session life', () => {
  it('pass every checker, and conservation judges every committed modify and release', () => {
    fc.assert(
      fc.property(specsWithLifecycle, (s) => {
        const sim = simulate(s);
        const r = all.check(sim.history, sim.observations, {});
        expect(r.anomalies).toEqual([]);
        for (const [name, result] of Object.entries(r.results)) {
          if (result.valid !== true) expect(result.error, name).toMatch(/^examined nothing: /);
        }
        const committed = (action: string) =>
          sim.observations.txn.filter((t) => t.action === action && t.state === 'committed').length;
        expect(r.results.conservation?.stats).toMatchObject({
          modifies: committed('modify'),
          releases: committed('release'),
        });
        expect(r.results['stream-ordering']?.stats.orderedEvents).toBeGreaterThanOrEqual(2);
      }),
      runs,
    );
  });
});

describe('mutations of a session life are caught by the right checker', () => {
  it("a release whose channels did not come back: conservation's release-not-returned", () => {
    fc.assert(
      fc.property(specsWithLifecycle, fc.nat(), (s, pick) => {
        const sim = simulate(s);
        const obs = keepReleasedChannel(sim, pick);
        fc.pre(obs !== undefined);
        expect(typesOf(conservation.check(sim.history, obs!, {}))).toContain('release-not-returned');
      }),
      runs,
    );
  });

  it("a release whose credit went back to the balance: conservation's settle-mismatch", () => {
    fc.assert(
      fc.property(specsWithLifecycle, fc.nat(), (s, pick) => {
        const sim = simulate(s);
        const obs = refundRelease(sim, pick);
        fc.pre(obs !== undefined);
        expect(typesOf(conservation.check(sim.history, obs!, {}))).toEqual(['settle-mismatch']);
      }),
      runs,
    );
  });

  it("a modify held at the old tariff, snapshots agreeing: conservation's charge-mismatch on that modify", () => {
    fc.assert(
      fc.property(specsWithLifecycle, fc.nat(), (s, pick) => {
        const sim = simulate(s);
        const broken = modifyAtOldTariff(sim, pick);
        fc.pre(broken !== undefined);
        const r = conservation.check(sim.history, broken!.obs, {});
        const charges = r.anomalies.filter((a) => a.type === 'charge-mismatch').map((a) => a.key);
        expect(charges).toEqual([broken!.txnId]);
      }),
      runs,
    );
  });

  it("a modify carried out twice: requests' request-with-two-txns", () => {
    fc.assert(
      fc.property(specsWithLifecycle, fc.nat(), (s, pick) => {
        const sim = simulate(s);
        const obs = repeatModify(sim, pick);
        fc.pre(obs !== undefined);
        expect(typesOf(requests.check(sim.history, obs!, {}))).toContain('request-with-two-txns');
      }),
      runs,
    );
  });

  it("a release without its event: stream ordering's lost-event on that release", () => {
    fc.assert(
      fc.property(specsWithLifecycle, fc.nat(), (s, pick) => {
        const sim = simulate(s);
        const broken = dropReleaseEvent(sim, pick);
        fc.pre(broken !== undefined);
        const r = streamOrdering.check(sim.history, broken!.obs, {});
        expect(r.anomalies.map((a) => [a.type, a.key])).toContainEqual(['lost-event', broken!.txnId]);
      }),
      runs,
    );
  });

  it("a session's last two events in the wrong order: stream ordering's event-order-mismatch", () => {
    fc.assert(
      fc.property(specsWithLifecycle, (s) => {
        const sim = simulate(s);
        expect(typesOf(streamOrdering.check(sim.history, swapLastTwoEvents(sim), {}))).toEqual([
          'event-order-mismatch',
        ]);
      }),
      runs,
    );
  });

  it("a committed release whose DSM record leaves the session active: atomicity's decision-mismatch", () => {
    fc.assert(
      fc.property(specsWithLifecycle, (s) => {
        const sim = simulate(s);
        const released = sim.observations.dsm.filter((d) => d.status === 'RELEASED');
        fc.pre(released.length > 0);
        for (const d of released) d.status = 'COMMITTED';
        expect(typesOf(atomicity.check(sim.history, sim.observations, {}))).toContain('decision-mismatch');
      }),
      runs,
    );
  });
});
