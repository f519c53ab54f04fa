// Every checker by name, for the CLI and the run loop. `rig check --checker a,b` picks from these.
import type { HistoryOp } from '../format/history.ts';
import { atomicity } from './atomicity.ts';
import { conservation } from './conservation.ts';
import { faults } from './faults.ts';
import { hasRegisterOps, linearizable } from './linearizable.ts';
import { liveness } from './liveness.ts';
import { requests } from './requests.ts';
import type { Checker } from './result.ts';
import { scheduler } from './scheduler.ts';
import { singleLeader } from './single-leader.ts';
import { stats } from './stats.ts';
import { streamOrdering } from './stream-ordering.ts';

export const checkers: readonly Checker[] = [
  atomicity,
  requests,
  conservation,
  singleLeader,
  streamOrdering,
  liveness,
  linearizable,
  scheduler,
  stats,
  faults,
];

const aliases: Record<string, string> = {
  linearizability: 'linearizable',
  leader: 'single-leader',
  ordering: 'stream-ordering',
};

export const checkerNames = checkers.map((c) => c.name);

/**
 * The checkers that judge a run of the rig: `faults` only where faults were scheduled (it needs a final heal).
 * `linearizable` is among them, and judges the runs whose history gives it ops (`appliedCheckerNames`).
 */
export function defaultCheckerNames(faultsScheduled: boolean): string[] {
  return checkerNames.filter((name) => faultsScheduled || name !== faults.name);
}

/** Checkers whose input only some workloads produce, each with the test that the history holds it. */
const needsInput: ReadonlyMap<string, (history: readonly HistoryOp[]) => boolean> = new Map([
  [linearizable.name, hasRegisterOps],
]);

/**
 * Of the checkers a run's own settings name, those its history gives anything to judge: `linearizable` only where
 * there are ops on sessions (reads, modifies, releases) or register ops; a workload that only creates sessions has
 * none, and the checker is then "not applied to this run" rather than unknown. Checkers named on the command line
 * judge regardless (and one that examined nothing says unknown).
 */
export function appliedCheckerNames(names: readonly string[], history: readonly HistoryOp[]): string[] {
  return names.filter((name) => needsInput.get(checkerByName(name)?.name ?? name)?.(history) ?? true);
}

/**
 * The checkers that judge a bare history (no config.json): every one that needs no fault schedule, nor the
 * scheduler's records (a bare history has no observations).
 */
export const bareHistoryCheckerNames = checkerNames.filter((name) => name !== faults.name && name !== scheduler.name);

/** The checker called `name` (or an alias), or undefined. */
export function checkerByName(name: string): Checker | undefined {
  const canonical = aliases[name] ?? name;
  return checkers.find((c) => c.name === canonical);
}

export {
  type Anomaly,
  type Checker,
  type CheckOptions,
  type CompositeChecker,
  type CompositeResult,
  checkSafe,
  compose,
  coverageText,
  mergeValidity,
  type Result,
  type Validity,
} from './result.ts';
