// The efficacy matrix (DESIGN section 6): for each planted bug, the run that exposes it and the checker that must
// report it. The correct system must pass the very same runs. Seeds and lengths are short so the matrix fits in CI.

export interface BugCase {
  bug: string;
  /** The checker that must report the bug. */
  checker: string;
  workload: string;
  protocol: '2pc' | '3pc' | 'mixed';
  nemesis: string;
  timeLimitS: number;
  seeds: readonly number[];
  /** Why this run exposes the bug. */
  why: string;
  /** Service settings for both the buggy and the correct runs. */
  systemEnv?: Record<string, string>;
}

export const efficacyMatrix: readonly BugCase[] = [
  {
    bug: 'no-fencing',
    checker: 'single-leader',
    workload: 'leader-churn',
    protocol: '2pc',
    nemesis: 'partition:leader-from-redis',
    timeLimitS: 12,
    seeds: [1, 2, 3],
    why: 'a leader cut from Redis loses its lease but still reaches Postgres: its late decisions land after the new leader fenced it',
    // Redis calls that hang longer than the takeover, so the cut-off leader's late decisions come after the fence.
    systemEnv: { RIG_QUERY_TIMEOUT_MS: '6000' },
  },
  {
    bug: 'stale-leader',
    checker: 'single-leader',
    workload: 'leader-churn',
    protocol: '2pc',
    nemesis: 'partition:leader-from-redis',
    timeLimitS: 12,
    seeds: [1, 2, 3],
    why: 'a leader whose lease lapsed keeps acting as leader while another has taken over',
  },
  {
    bug: 'no-decision-log',
    checker: 'atomicity',
    workload: 'sessions',
    protocol: '2pc',
    nemesis: 'none',
    timeLimitS: 5,
    seeds: [1],
    why: 'phase 2 runs with no logged decision, so the log and the participants disagree',
  },
  {
    bug: 'early-commit',
    checker: 'atomicity',
    workload: 'conservation',
    protocol: '2pc',
    nemesis: 'none',
    timeLimitS: 8,
    seeds: [1, 2],
    why: 'the first yes vote is committed at once; when the other participant votes no, one side committed alone',
  },
  {
    bug: 'emit-before-commit',
    checker: 'stream-ordering',
    workload: 'conservation',
    protocol: '2pc',
    nemesis: 'none',
    timeLimitS: 8,
    seeds: [1, 2],
    why: 'the event goes out before the decision; transactions that then abort leave a commit event behind',
  },
  {
    bug: 'unordered-events',
    checker: 'stream-ordering',
    workload: 'sessions',
    protocol: '2pc',
    nemesis: 'none',
    timeLimitS: 5,
    seeds: [1],
    why: 'per-session sequence numbers are not kept per session',
  },
  {
    bug: 'no-lock-timeout',
    checker: 'liveness',
    workload: 'contention',
    protocol: '2pc',
    nemesis: 'none',
    timeLimitS: 10,
    seeds: [1, 2],
    why: 'prepares wait for locks forever, so a cross-participant deadlock never ends',
    // Generous prepare deadlines and no detector: only the participants' lock timeouts can break such a cycle.
    systemEnv: { RIG_PREPARE_TIMEOUT_MS: '60000', RIG_DEADLOCK_DETECTOR: 'off' },
  },
  {
    bug: '3pc-timeout-commit',
    checker: 'atomicity',
    workload: 'sessions',
    protocol: '3pc',
    nemesis: 'latency:participants',
    timeLimitS: 14,
    seeds: [1, 2, 3],
    why: 'a slow pre-commit makes the coordinator abort while a pre-committed participant commits on its own',
    // Short participant and phase-2 deadlines, so link latency turns into pre-commit timeouts within a short run.
    systemEnv: { RIG_PRECOMMIT_TIMEOUT_MS: '150', RIG_PHASE2_TIMEOUT_MS: '100' },
  },
];

export function bugCase(bug: string): BugCase | undefined {
  return efficacyMatrix.find((c) => c.bug === bug);
}
