// How often the run took each recovery path (observations `path`), as coverage figures of the checkers that judge
// those paths' outcomes: liveness (decision queries, pre-commit timeouts, leader recoveries) and stream ordering
// (relay re-sends). A figure of 0 says the run never reached that path, so its verdict says nothing about it.
import type { PathRecord } from '../format/observations.ts';

export interface PathCounts {
  /** Queries about a transaction prepared too long (each query, not each transaction). */
  decisionQueries: number;
  /** Queries about a transaction pre-committed too long (3PC), or decisions taken alone on that timeout. */
  precommitTimeouts: number;
  /** Unfinished transactions a leader took over (per leader and transaction). */
  recoveries: number;
  /** Events the relay appended again. */
  relayResends: number;
  /** Decision queries and pre-commit timeouts by answer (commit, abort, undecided, no_answer, alone). */
  decisionQueryAnswers: Record<string, number>;
}

export function pathCounts(paths: readonly PathRecord[]): PathCounts {
  const out: PathCounts = {
    decisionQueries: 0,
    precommitTimeouts: 0,
    recoveries: 0,
    relayResends: 0,
    decisionQueryAnswers: {},
  };
  const field = {
    'decision-query': 'decisionQueries',
    'precommit-timeout': 'precommitTimeouts',
    recovery: 'recoveries',
    'relay-resend': 'relayResends',
  } as const;
  for (const p of paths) {
    out[field[p.name]]++;
    if (p.name === 'decision-query' || p.name === 'precommit-timeout') {
      const answer = p.outcome ?? 'unknown';
      out.decisionQueryAnswers[answer] = (out.decisionQueryAnswers[answer] ?? 0) + 1;
    }
  }
  return out;
}
