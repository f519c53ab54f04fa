// Every error the participant answers with is made here, and every database failure is classified here: which
// SQLSTATEs turn a prepare into a no vote, and which failures are the store being unavailable.

import type { TxnState, VoteNoReason } from '../common/contract.ts';
import { ServiceError } from '../common/errors.ts';

/** 409: the token is lower than the highest this participant has seen (a deposed leader). */
export function staleToken(token: number, highest: number): ServiceError {
  return new ServiceError('stale_token', `token ${token} is older than ${highest}`, { highest });
}

export function isStaleToken(err: unknown): err is ServiceError {
  return err instanceof ServiceError && err.code === 'stale_token';
}

/** 409: the request contradicts the transaction's durable state (e.g. commit after abort). */
export function conflict(txnId: string, action: string, state: TxnState): ServiceError {
  return new ServiceError('conflict', `cannot ${action} txn ${txnId}: it is ${state}`, { state });
}

/** 503: too many requests in flight; nothing was done. */
export function overloaded(inFlightMax: number): ServiceError {
  return new ServiceError('overloaded', `more than ${inFlightMax} requests in flight`, { retryAfterMs: 100 });
}

// SQLSTATEs that mean "this prepare lost a lock race": the transaction rolled back, so the vote is a clean no.
const voteReasonBySqlState: Record<string, VoteNoReason> = {
  '55P03': 'lock_timeout', // lock_not_available: lock_timeout expired
  '40P01': 'deadlock', // deadlock_detected: Postgres chose this transaction as the victim
};

export function voteReasonFor(err: unknown): VoteNoReason | undefined {
  return voteReasonBySqlState[errorCode(err) ?? ''];
}

// What a prepare's statements may refuse with through participant_refuse (sql/0002_refuse.sql, SQLSTATE RGV01):
// 'existing' (the txn is not new) or one of the domains' no-vote reasons.
const refusals = [
  'existing',
  'no_capacity',
  'unknown_cell',
  'no_credit',
  'unknown_subscriber',
  'nothing_held',
] as const satisfies ReadonlyArray<'existing' | VoteNoReason>;
type Refusal = (typeof refusals)[number];

/** The refusal a prepare's statement raised; undefined for any other error (an unknown reason is a bug: it stays). */
export function refusalOf(err: unknown): Refusal | undefined {
  if (errorCode(err) !== 'RGV01') return undefined;
  const reason = (err as Error).message;
  return refusals.find((r) => r === reason);
}

/** Database errors and lost connections become 503; whether the statement took effect is unknown. */
export function storeFailure(err: unknown): unknown {
  const code = errorCode(err);
  if (code === undefined) return err; // a programmer error: let it surface as a 500 with its stack
  const message = err instanceof Error ? err.message : String(err);
  return new ServiceError('unavailable', `database: ${message}`, { dbCode: code }, false);
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || err instanceof ServiceError) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
