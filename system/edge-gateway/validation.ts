// Validation and normalisation at the edge (spec section 2): unknown fields are refused, every length is
// bounded, enums accept case-insensitive aliases, and the subscriber id gets one canonical form (`imsi-` + 15
// digits). Pure: the property tests feed it anything. What it produces is the internal contract's request.
import {
  type CreateSessionRequest,
  cellNumberMax,
  cellsPerRequestMax,
  type ModifySessionRequest,
  type Protocol,
  type Revision,
  revisionTagPattern,
  type TrafficClass,
} from '../common/contract.ts';

export interface FieldError {
  field: string;
  message: string;
}

export type Validation<T = CreateSessionRequest> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Lengths of the raw input, before normalising (the internal contract bounds what comes out). */
const limits = { subscriberIdMax: 40, enumMax: 20, cellIdMax: 16 };

const trafficAliases: Record<string, TrafficClass> = {
  voice: 'voice',
  voip: 'voice',
  audio: 'voice',
  conversational: 'voice',
  video: 'video',
  streaming: 'video',
  data: 'data',
  internet: 'data',
  'best-effort': 'data',
  besteffort: 'data',
  background: 'data',
};

const protocolAliases: Record<string, Protocol> = {
  '2pc': '2pc',
  'two-phase': '2pc',
  twophase: '2pc',
  '2-phase': '2pc',
  '3pc': '3pc',
  'three-phase': '3pc',
  threephase: '3pc',
  '3-phase': '3pc',
};

const allowed = new Set(['subscriberId', 'trafficClass', 'protocol', 'cells']);

/** `imsi-001010000000001`, `IMSI-001010000000001`, `001010000000001`, `00101 0000 000001`, `00101-0000-000001`. */
export function canonicalSubscriberId(raw: string): string | undefined {
  if (raw.length > limits.subscriberIdMax) return undefined;
  const body = raw.trim().replace(/^imsi[-:]?/i, '');
  if (!/^\d+(?:[ -]\d+)*$/.test(body)) return undefined;
  const digits = body.replace(/[ -]/g, '');
  return digits.length === 15 ? `imsi-${digits}` : undefined;
}

function alias<T>(table: Record<string, T>, raw: unknown): T | undefined {
  if (typeof raw !== 'string' || raw.length > limits.enumMax) return undefined;
  const key = raw.trim().toLowerCase();
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function canonicalCell(raw: unknown): string | undefined {
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || text.length > limits.cellIdMax) return undefined;
  const m = /^(?:cell-)?(\d{1,6})$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return n >= 1 && n <= cellNumberMax ? `cell-${n}` : undefined;
}

function validateCells(raw: unknown, errors: FieldError[]): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > cellsPerRequestMax) {
    errors.push({ field: 'cells', message: `must be a list of 1 to ${cellsPerRequestMax} cell ids` });
    return undefined;
  }
  const cells: string[] = [];
  raw.forEach((c, i) => {
    const cell = canonicalCell(c);
    if (!cell) errors.push({ field: `cells[${i}]`, message: 'must be a cell id like cell-12' });
    else if (cells.includes(cell)) errors.push({ field: `cells[${i}]`, message: `${cell} is listed twice` });
    else cells.push(cell);
  });
  return cells;
}

export function validateSessionRequest(body: unknown): Validation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] };
  }
  const b = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(b)) {
    if (!allowed.has(key)) errors.push({ field: key.slice(0, 64), message: 'is not a known field' });
  }
  const subscriberId = typeof b.subscriberId === 'string' ? canonicalSubscriberId(b.subscriberId) : undefined;
  if (!subscriberId) {
    errors.push({ field: 'subscriberId', message: 'must be an IMSI: 15 digits, optionally prefixed imsi-' });
  }
  const trafficClass = alias(trafficAliases, b.trafficClass);
  if (!trafficClass) errors.push({ field: 'trafficClass', message: 'must be voice, video or data' });
  const protocol = alias(protocolAliases, b.protocol);
  if (!protocol) errors.push({ field: 'protocol', message: 'must be 2pc or 3pc' });
  const cells = validateCells(b.cells, errors);
  if (errors.length > 0 || !subscriberId || !trafficClass || !protocol) return { ok: false, errors };
  return { ok: true, value: { subscriberId, trafficClass, protocol, ...(cells ? { cells } : {}) } };
}

const modifiable = new Set(['trafficClass', 'cells']);

/** A modify (`PATCH`): `trafficClass` and/or `cells`, validated and normalised as for a create. */
export function validateModifyRequest(body: unknown): Validation<ModifySessionRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] };
  }
  const b = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(b)) {
    if (!modifiable.has(key)) errors.push({ field: key.slice(0, 64), message: 'is not a field a modify can change' });
  }
  const trafficClass = b.trafficClass === undefined ? undefined : alias(trafficAliases, b.trafficClass);
  if (b.trafficClass !== undefined && !trafficClass) {
    errors.push({ field: 'trafficClass', message: 'must be voice, video or data' });
  }
  const cells = validateCells(b.cells, errors);
  if (b.trafficClass === undefined && b.cells === undefined) {
    errors.push({ field: '(body)', message: 'must change trafficClass, cells or both' });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { ...(trafficClass ? { trafficClass } : {}), ...(cells ? { cells } : {}) } };
}

/**
 * `If-Match` (RFC 9110 section 13.1.1) as the gateway accepts it: absent, `*`, or one strong entity tag naming a
 * revision, `"<n>"`. Undefined: valid (forwarded as given); a string: what is wrong with it.
 */
export function ifMatchProblem(header: string | string[] | undefined): string | undefined {
  if (header === undefined || header === '*') return undefined;
  if (typeof header === 'string' && revisionTagPattern.test(header.trim())) return undefined;
  return 'must be * or one strong entity tag naming a revision, e.g. "3" (as GET returns it in ETag)';
}

/** The `ETag` of a session at `revision`. */
export function etag(revision: Revision): string {
  return `"${revision}"`;
}

/** Idempotency keys: 1 to 128 visible ASCII characters. */
export function validIdempotencyKey(key: string): boolean {
  return /^[\x21-\x7e]{1,128}$/.test(key);
}
