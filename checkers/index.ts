// Every checker by name, for the CLI and the run loop. `rig check --checker a,b` picks from these.
import { atomicity } from './atomicity.ts';
import { conservation } from './conservation.ts';
import { faults } from './faults.ts';
import { linearizable } from './linearizable.ts';
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
 * The checkers that judge a run of the rig: `faults` only where faults were scheduled (it needs a final heal), and
 * not `linearizable`: no workload issues register ops and the system records no DSM calls yet, so on a run it would
 * examine nothing (`unknown`, exit 2). It judges plain register histories, and any run on request (`--checker`).
 */
export function defaultCheckerNames(faultsScheduled: boolean): string[] {
  return checkerNames.filter((name) => (faultsScheduled || name !== faults.name) && name !== linearizable.name);
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
