// Client ops as columns: one entry per client invocation, in invocation order. The report is built from these arrays,
// and they are embedded as they are (base64 typed arrays), so a 100,000-op run costs a few bytes per op, not a JSON
// object per op. Times are milliseconds since the run started (the history's nanoseconds / 1e6).

import { sessionRequest, sessionResult } from '../checkers/sessions.ts';
import { type HistoryOp, NEMESIS, pairHistory, SESSION_F } from '../format/history.ts';
import { isPlainObject } from '../format/schema.ts';

export const OUTCOMES = ['ok', 'fail', 'info', 'open'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const OUTCOME_CODE: Record<Outcome, number> = { ok: 0, fail: 1, info: 2, open: 3 };

/** Codes fit a Uint16Array column; past the last one every new string shares it. */
const DICT_MAX = 65_535;
const OTHER = '(other)';

/** Interns strings to small integers, so a column can hold a code and the report one copy of each string. */
export class Dict {
  readonly values: string[] = [];
  private readonly codes = new Map<string, number>();
  constructor(first?: string) {
    if (first !== undefined) this.code(first);
  }
  code(value: string): number {
    const known = this.codes.get(value);
    if (known !== undefined) return known;
    const key = this.values.length >= DICT_MAX - 1 ? OTHER : value;
    const c = this.codes.get(key) ?? this.values.length;
    if (c === this.values.length) {
      this.values.push(key);
      this.codes.set(key, c);
    }
    return c;
  }
}

export interface ClientOps {
  n: number;
  /** History index of the invocation and of its completion (-1: never completed). */
  invoke: Int32Array;
  completion: Int32Array;
  /** Code into `processes`. */
  process: Uint16Array;
  /** Invocation time, ms. */
  start: Float64Array;
  /** Completion time minus invocation time, ms; NaN while open. */
  latency: Float32Array;
  /** Code into OUTCOMES. */
  outcome: Uint8Array;
  /** Code into `fs`. */
  f: Uint16Array;
  /** Code into `groups`: "protocol/class" for create-session, else the f. */
  group: Uint16Array;
  /** Code into `reasons`; 0 ("") unless the op failed. */
  reason: Uint16Array;
  /** Code into `summaries`: a short description of the request and of the outcome, for the ops table. */
  request: Uint16Array;
  result: Uint16Array;
  /** Scheduler queue delay from the completion's `timings.queueMs`, ms; NaN when absent. */
  queueMs: Float32Array;
  processes: string[];
  fs: string[];
  groups: string[];
  reasons: string[];
  summaries: string[];
}

/** The traffic class and protocol of a create-session request, as a table group key. */
export function groupOf(invoke: HistoryOp): string {
  if (invoke.f !== SESSION_F.create) return invoke.f;
  const r = sessionRequest(invoke.value);
  return `${r.protocol ?? '?'}/${r.trafficClass ?? '?'}`;
}

/**
 * Why an op failed: the server's reason, else the client's error, else the status. A refusal of a change on a session
 * names its code first (`not_active: RELEASED`); a 412 has no reason, so it reads `precondition_failed`.
 */
export function failReason(op: HistoryOp): string {
  const r = sessionResult(op.value);
  if (r.code !== undefined && r.code !== 'aborted') return r.reason === undefined ? r.code : `${r.code}: ${r.reason}`;
  return r.reason ?? op.error ?? (r.status !== undefined ? `status ${r.status}` : 'unknown');
}

export function queueDelayMs(value: unknown): number {
  if (!isPlainObject(value) || !isPlainObject(value.timings)) return Number.NaN;
  const q = value.timings.queueMs;
  return typeof q === 'number' && Number.isFinite(q) ? q : Number.NaN;
}

// Not the subscriber, the session or the cells: they would make one string per op; the full value is in the op's
// details. Revisions stay: a run has few distinct ones, and they are what a race on a session is about.
function requestSummary(op: HistoryOp): string {
  const r = sessionRequest(op.value);
  const condition = r.ifMatch === undefined ? 'unconditional' : `if-match ${r.ifMatch}`;
  switch (op.f) {
    case SESSION_F.create:
      return [r.protocol, r.trafficClass].filter(Boolean).join(' ');
    case SESSION_F.read:
      return 'get';
    case SESSION_F.modify: {
      const cells = r.cells === undefined ? undefined : `${r.cells.length} cell${r.cells.length === 1 ? '' : 's'}`;
      return [condition, r.trafficClass, cells].filter(Boolean).join(' ');
    }
    case SESSION_F.release:
      return condition;
    default:
      return shortJson(op.value);
  }
}

function resultSummary(op: HistoryOp): string {
  const r = sessionResult(op.value);
  // A read's `status` is the session's (COMMITTED, RELEASED...), not an HTTP status.
  const session = isPlainObject(op.value) && typeof op.value.status === 'string' ? op.value.status : undefined;
  const revision = r.revision === undefined ? undefined : `rev ${r.revision}`;
  const parts = [r.outcome, op.type === 'fail' ? failReason(op) : undefined, r.status, session, revision, op.error];
  const text = [...new Set(parts.filter((p) => p !== undefined).map(String))].join(' ');
  return text || shortJson(op.value);
}

/** Values of other ops are summarised by their shape, capped, so a report never embeds one string per op. */
function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? '';
  return text.length <= 40 ? text : `${text.slice(0, 39)}…`;
}

interface Columns extends Omit<ClientOps, 'n' | 'processes' | 'fs' | 'groups' | 'reasons' | 'summaries'> {}

function allocate(n: number): Columns {
  return {
    invoke: new Int32Array(n),
    completion: new Int32Array(n),
    process: new Uint16Array(n),
    start: new Float64Array(n),
    latency: new Float32Array(n),
    outcome: new Uint8Array(n),
    f: new Uint16Array(n),
    group: new Uint16Array(n),
    reason: new Uint16Array(n),
    request: new Uint16Array(n),
    result: new Uint16Array(n),
    queueMs: new Float32Array(n),
  };
}

/** Every client invocation with its completion, as columns. The history must pair (the loader validates it). */
export function clientOps(history: readonly HistoryOp[]): ClientOps {
  const pairs = pairHistory(history);
  let n = 0;
  for (const op of history) if (op.type === 'invoke' && op.process !== NEMESIS) n++;
  const c = allocate(n);
  const dicts = {
    processes: new Dict(),
    fs: new Dict(),
    groups: new Dict(),
    reasons: new Dict(''),
    summaries: new Dict(),
  };
  const summaryOf = (op: HistoryOp) =>
    dicts.summaries.code(op.type === 'invoke' ? requestSummary(op) : resultSummary(op));
  let i = 0;
  for (const op of history) {
    if (op.type !== 'invoke' || op.process === NEMESIS) continue;
    const done = pairs.completion[op.index] ?? -1;
    const end = done < 0 ? undefined : history[done]!;
    c.invoke[i] = op.index;
    c.completion[i] = done;
    c.process[i] = dicts.processes.code(String(op.process));
    c.start[i] = op.time / 1e6;
    c.latency[i] = end ? (end.time - op.time) / 1e6 : Number.NaN;
    c.outcome[i] = OUTCOME_CODE[end ? (end.type as Outcome) : 'open'];
    c.f[i] = dicts.fs.code(op.f);
    c.group[i] = dicts.groups.code(groupOf(op));
    c.reason[i] = end?.type === 'fail' ? dicts.reasons.code(failReason(end)) : 0;
    c.request[i] = summaryOf(op);
    c.result[i] = end ? summaryOf(end) : dicts.summaries.code('open');
    c.queueMs[i] = end ? queueDelayMs(end.value) : Number.NaN;
    i++;
  }
  const names = Object.fromEntries(Object.entries(dicts).map(([k, d]) => [k, d.values])) as Pick<
    ClientOps,
    'processes' | 'fs' | 'groups' | 'reasons' | 'summaries'
  >;
  return { n, ...c, ...names };
}
