// The participant's HTTP contract, defined once: request bodies are validated here, replies are typed here.
// The session manager calls these routes; a bad body is a programmer error on its side, so it gets a 400 that
// names every bad field.
import { ServiceError } from '../common/errors.ts';

export type Protocol = '2pc' | '3pc';
export type TxnState = 'unknown' | 'prepared' | 'precommitted' | 'committed' | 'aborted';
export type VoteNoReason =
  | 'no_capacity'
  | 'unknown_cell'
  | 'no_credit'
  | 'unknown_subscriber'
  | 'lock_timeout'
  | 'deadlock'
  | 'tombstoned'
  | 'injected'
  /** The leader's deadlock detector chose this transaction to break a wait-for cycle. */
  | 'deadlock_victim';
/** Who told the participant to change state (`timeout`: only the planted bug 3pc-timeout-commit). */
export type Via = 'leader' | 'decision-query' | 'timeout';

export interface PrepareRequest {
  token: number;
  sessionId: string;
  protocol: Protocol;
  subscriberId: string;
  cells: string[];
  amount: number;
}

export type VoteReply = { vote: 'yes' } | { vote: 'no'; reason: VoteNoReason };
export interface StateReply {
  state: TxnState;
}
export interface TxnStatus {
  txnId: string;
  state: TxnState;
  /** The token recorded with the txn's durable state; null while only prepared (that record is inside the
   * prepared transaction, invisible until it commits) or unknown. */
  token: number | null;
}
/** The session manager's answer to `GET /v1/txn/:txnId/decision`. */
export type DecisionReply = { decision: 'commit' | 'abort'; token: number } | { decision: 'undecided' };

export const cellsMax = 16;
export const idLengthMax = 128;
export const amountMax = 1_000_000_000_000;
// Ids end up inside a PREPARE TRANSACTION literal (gid), so they are restricted to characters that need no quoting.
const idPattern = /^[A-Za-z0-9._:-]+$/;

type Fields = Record<string, unknown>;

class FieldErrors {
  readonly problems: string[] = [];
  add(field: string, problem: string): void {
    this.problems.push(`${field}: ${problem}`);
  }
  throwIfAny(): void {
    if (this.problems.length === 0) return;
    throw new ServiceError('bad_request', `invalid request: ${this.problems.join('; ')}`, { fields: this.problems });
  }
}

function asObject(body: unknown): Fields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ServiceError('bad_request', 'body must be a JSON object', { fields: ['body: not an object'] });
  }
  return body as Fields;
}

function isId(v: unknown, lengthMax = idLengthMax): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= lengthMax && idPattern.test(v);
}

function checkToken(v: unknown, errors: FieldErrors): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
  errors.add('token', 'must be a positive whole number');
  return 0;
}

/** The txn id from the path. */
export function parseTxnId(raw: string | undefined): string {
  if (isId(raw)) return raw;
  throw new ServiceError('bad_request', `txnId must be 1-${idLengthMax} characters of A-Z a-z 0-9 . _ : -`, {
    fields: ['txnId: malformed'],
  });
}

export function parseTokenBody(body: unknown): { token: number } {
  const errors = new FieldErrors();
  const token = checkToken(asObject(body).token, errors);
  errors.throwIfAny();
  return { token };
}

export function parsePrepare(body: unknown): PrepareRequest {
  const b = asObject(body);
  const errors = new FieldErrors();
  const token = checkToken(b.token, errors);
  if (!isId(b.sessionId)) errors.add('sessionId', `must be 1-${idLengthMax} characters of A-Z a-z 0-9 . _ : -`);
  if (b.protocol !== '2pc' && b.protocol !== '3pc') errors.add('protocol', 'must be "2pc" or "3pc"');
  if (!isId(b.subscriberId, 64)) errors.add('subscriberId', 'must be 1-64 characters of A-Z a-z 0-9 . _ : -');
  const cells = b.cells;
  if (!Array.isArray(cells) || cells.length > cellsMax || !cells.every((c) => isId(c, 64))) {
    errors.add('cells', `must be a list of at most ${cellsMax} cell ids`);
  }
  const amount = b.amount;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0 || amount > amountMax) {
    errors.add('amount', `must be a whole number from 0 to ${amountMax}`);
  }
  errors.throwIfAny();
  return {
    token,
    sessionId: b.sessionId as string,
    protocol: b.protocol as Protocol,
    subscriberId: b.subscriberId as string,
    cells: cells as string[],
    amount: amount as number,
  };
}

/** Validates a session manager's decision reply; undefined when it is not one. */
export function parseDecision(body: unknown): DecisionReply | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { decision, token } = body as Fields;
  if (decision === 'undecided') return { decision };
  if (decision !== 'commit' && decision !== 'abort') return undefined;
  if (typeof token !== 'number' || !Number.isSafeInteger(token) || token <= 0) return undefined;
  return { decision, token };
}
