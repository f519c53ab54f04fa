// The API's errors, with Toxiproxy 2.x's messages and status codes, so a client cannot tell the built-in proxy apart.
// On the wire every error is `{"error": "<message>", "status": <code>}`.

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }

  toJSON(): { error: string; status: number } {
    return { error: this.message, status: this.status };
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

/** 400 `bad request body: <detail>`: the body is not JSON, or a field has the wrong type or an impossible value. */
export function badRequestBody(detail: string): ApiError {
  return new ApiError(`bad request body: ${detail}`, 400);
}

/** 400 `missing required field: <field>`. */
export function missingField(field: string): ApiError {
  return new ApiError(`missing required field: ${field}`, 400);
}

export const proxyNotFound = (): ApiError => new ApiError('proxy not found', 404);
export const proxyAlreadyExists = (): ApiError => new ApiError('proxy already exists', 409);
export const invalidStream = (): ApiError =>
  new ApiError('stream was invalid, can be either upstream or downstream', 400);
export const invalidToxicType = (): ApiError => new ApiError('invalid toxic type', 400);
export const toxicAlreadyExists = (): ApiError => new ApiError('toxic already exists', 409);
export const toxicNotFound = (): ApiError => new ApiError('toxic not found', 404);

/** Errors that are not the client's fault (a port already taken) answer 500, as Toxiproxy's do. */
export function serverError(message: string): ApiError {
  return new ApiError(message, 500);
}
