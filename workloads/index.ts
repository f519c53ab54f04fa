// Every workload by name (`rig run --workload NAME`).
import { conservation } from './conservation.ts';
import { contention } from './contention.ts';
import { leaderChurn } from './leader-churn.ts';
import { lifecycle } from './lifecycle.ts';
import { priority } from './priority.ts';
import { sessions } from './sessions.ts';
import type { Workload } from './types.ts';

export const workloads: readonly Workload[] = [sessions, lifecycle, contention, conservation, leaderChurn, priority];

export function workloadByName(name: string): Workload | undefined {
  return workloads.find((w) => w.name === name);
}

export type {
  CreateSessionOp,
  ModifySessionOp,
  OpSpec,
  ProtocolChoice,
  ReadSessionOp,
  ReleaseSessionOp,
  SlotOp,
  Workload,
  WorkloadOptions,
} from './types.ts';
export { requestIdOf } from './types.ts';
