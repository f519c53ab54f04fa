// The participant's transaction state machine, as pure functions. The durable state lives in Postgres in three
// places (the txn row, which becomes visible only when its prepared transaction commits or is written as an abort
// tombstone; the prepared transaction itself; the pre-commit row); `deriveState` reads one state from them and
// `plan` says what a request does in that state.
import type { TxnState } from '../common/contract.ts';

export interface DurableFacts {
  /** State of the committed txn row, if any. */
  rowState: 'committed' | 'aborted' | undefined;
  /** A prepared transaction with this txn's gid exists. */
  prepared: boolean;
  /** A pre-commit row exists. */
  precommitted: boolean;
}

export function deriveState(facts: DurableFacts): TxnState {
  // The row wins: it is written only by COMMIT PREPARED (committed) or after ROLLBACK PREPARED (aborted).
  if (facts.rowState) return facts.rowState;
  if (facts.prepared) return facts.precommitted ? 'precommitted' : 'prepared';
  // A pre-commit row without a prepared transaction: the abort rolled back but crashed before its tombstone;
  // nothing is held and nothing committed, and the retried abort will write the tombstone.
  return 'unknown';
}

export type Action = 'prepare' | 'precommit' | 'commit' | 'abort';

/**
 * What a request does in a state:
 * - `apply`: perform the transition;
 * - `ack`: already done, answer success without changing anything (idempotency by txn id);
 * - `refuse`: the prepare votes no (`tombstoned`);
 * - `conflict`: the request contradicts the durable state (409 with the state).
 */
export type Plan = 'apply' | 'ack' | 'refuse' | 'conflict';

const plans: Record<Action, Record<TxnState, Plan>> = {
  // A repeated prepare of a prepared or committed txn repeats its yes vote; after an abort it is refused.
  prepare: { unknown: 'apply', prepared: 'ack', precommitted: 'ack', committed: 'ack', aborted: 'refuse' },
  precommit: {
    unknown: 'conflict',
    prepared: 'apply',
    precommitted: 'ack',
    committed: 'conflict',
    aborted: 'conflict',
  },
  commit: { unknown: 'conflict', prepared: 'apply', precommitted: 'apply', committed: 'ack', aborted: 'conflict' },
  // An abort of an unknown txn still applies: it leaves the tombstone that refuses a late prepare.
  abort: { unknown: 'apply', prepared: 'apply', precommitted: 'apply', committed: 'conflict', aborted: 'ack' },
};

export function plan(action: Action, state: TxnState): Plan {
  return plans[action][state];
}

/** The state an applied action leaves (for the reply and the observation). */
export const resultState: Record<Exclude<Action, 'prepare'>, TxnState> = {
  precommit: 'precommitted',
  commit: 'committed',
  abort: 'aborted',
};
