// Typed errors with a stable code, an HTTP status, and whether the failure is definite (the operation certainly
// did not take effect) or indeterminate (it may have). One place maps codes to statuses.

export type ErrorCode =
  | 'bad_request'
  | 'unsigned'
  | 'malformed_signature'
  | 'unknown_key'
  | 'bad_signature'
  | 'stale_timestamp'
  | 'replayed_nonce'
  | 'not_found'
  | 'unsupported_media_type'
  | 'idempotency_key_reused'
  | 'not_leader'
  | 'stale_token'
  | 'overloaded'
  | 'conflict'
  | 'aborted'
  | 'not_active'
  | 'precondition_failed'
  | 'unavailable'
  | 'timeout'
  | 'internal';

const statusByCode: Record<ErrorCode, number> = {
  bad_request: 400,
  unsigned: 401,
  malformed_signature: 401,
  unknown_key: 401,
  bad_signature: 401,
  stale_timestamp: 401,
  replayed_nonce: 401,
  not_found: 404,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  conflict: 409,
  aborted: 409,
  not_active: 409,
  precondition_failed: 412,
  stale_token: 409,
  not_leader: 503,
  overloaded: 503,
  unavailable: 503,
  timeout: 504,
  internal: 500,
};

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    /** True when the operation certainly did not take effect. */
    readonly definite = true,
  ) {
    super(message);
    this.status = statusByCode[code];
  }

  toBody(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof ServiceError;
}
