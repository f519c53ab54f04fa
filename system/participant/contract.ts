// The participant's side of the contract (common/contract.ts): request bodies are validated here. The session
// manager calls these routes; a bad body is a programmer error on its side, so it gets a 400 that names every bad
// field.
import {
  amountMax,
  cellsPerRequestMax,
  type DecisionReply,
  type Holding,
  idLengthMax,
  internalIdPattern,
  isProtocol,
  isTxnKind,
  type PrepareRequest,
  resourceIdLengthMax,
  type TokenBody,
} from '../common/contract.ts';
import { ServiceError } from '../common/errors.ts';

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
  return typeof v === 'string' && v.length > 0 && v.length <= lengthMax && internalIdPattern.test(v);
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

export function parseTokenBody(body: unknown): TokenBody {
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
  if (!isProtocol(b.protocol)) errors.add('protocol', 'must be "2pc" or "3pc"');
  if (!isId(b.subscriberId, resourceIdLengthMax)) {
    errors.add('subscriberId', `must be 1-${resourceIdLengthMax} characters of A-Z a-z 0-9 . _ : -`);
  }
  if (!isTxnKind(b.kind)) errors.add('kind', 'must be "create", "modify" or "release"');
  const holding = checkHolding(b, '', errors);
  let release: Holding | undefined;
  if (b.kind === 'create') {
    if (b.release !== undefined) errors.add('release', 'must be absent for create');
  } else if (typeof b.release !== 'object' || b.release === null || Array.isArray(b.release)) {
    errors.add('release', 'must be what the session holds now: {cells, amount}');
  } else release = checkHolding(b.release as Fields, 'release.', errors);
  errors.throwIfAny();
  return {
    token,
    sessionId: b.sessionId as string,
    protocol: b.protocol as PrepareRequest['protocol'],
    subscriberId: b.subscriberId as string,
    kind: b.kind as PrepareRequest['kind'],
    ...holding,
    ...(release ? { release } : {}),
  };
}

function checkHolding(b: Fields, prefix: string, errors: FieldErrors): Holding {
  const { cells, amount } = b;
  if (!Array.isArray(cells) || cells.length > cellsPerRequestMax || !cells.every((c) => isId(c, resourceIdLengthMax))) {
    errors.add(`${prefix}cells`, `must be a list of at most ${cellsPerRequestMax} cell ids`);
  }
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0 || amount > amountMax) {
    errors.add(`${prefix}amount`, `must be a whole number from 0 to ${amountMax}`);
  }
  return { cells: cells as string[], amount: amount as number };
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
