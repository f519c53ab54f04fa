// What a leader decides for a transaction whose coordinator is gone and whose log row holds no decision (spec 6
// and 7). One rule, used by recovery passes and by participants' decision queries alike.
//   2PC: presumed abort.
//   3PC: commit if the decision to pre-commit is logged or any participant is pre-committed; abort if none is.
// The log's pre-commit is written before any pre-commit is sent, so in a correct run a pre-committed participant
// implies the log says so; the participants are still asked (3PC's own rule), each with a deadline, and one that
// does not answer counts as not pre-committed, which the log-first order makes safe.
import type { Decision } from '../common/contract.ts';
import type { ParticipantClient } from './participants.ts';
import type { TxnRow } from './txlog.ts';

export interface Recovered {
  decision: Decision;
  reason: string | null;
}

export async function recoveryDecision(
  row: Pick<TxnRow, 'txnId' | 'protocol' | 'precommitted'>,
  participants: readonly ParticipantClient[],
  queryTimeoutMs: number,
): Promise<Recovered> {
  if (row.protocol !== '3pc') return { decision: 'abort', reason: 'recovered' };
  if (row.precommitted) return { decision: 'commit', reason: null };
  const states = await Promise.all(
    participants.map((p) => p.state(row.txnId, queryTimeoutMs).catch(() => 'no_answer')),
  );
  if (states.includes('precommitted')) return { decision: 'commit', reason: null };
  return { decision: 'abort', reason: 'recovered' };
}
