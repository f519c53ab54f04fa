// The history: one op per line, Jepsen's fields. A client op is an `invoke` followed, on the same process, by exactly
// one completion: `ok` (it happened), `fail` (it definitely did not happen) or `info` (unknown: it may or may not have
// happened, at any time after its invocation). Faults are ops too, on process "nemesis".
import { int, json, lit, num, obj, opt, str, strOrInt } from './schema.ts';

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';
/** A client process number, or "nemesis". */
export type Process = number | string;
/** A register key (plain register histories); absent means the one register. */
export type Key = string | number;

interface OpFields {
  /** Position in the history, 0-based and dense: `history[i].index === i`. */
  index: number;
  process: Process;
  f: string;
  /** Invoke: the request. ok: the result. fail/info: the request or what is known. */
  value: unknown;
  /** Nanoseconds since the run started, from a monotonic clock. */
  time: number;
  error?: string;
  key?: Key;
}
export interface InvokeOp extends OpFields {
  type: 'invoke';
}
export interface OkOp extends OpFields {
  type: 'ok';
}
export interface FailOp extends OpFields {
  type: 'fail';
}
export interface InfoOp extends OpFields {
  type: 'info';
}
export type HistoryOp = InvokeOp | OkOp | FailOp | InfoOp;
export type Completion = OkOp | FailOp | InfoOp;

export const NEMESIS = 'nemesis';

/** The session workload's operations. */
export const SESSION_F = {
  create: 'create-session',
  read: 'read-session',
  modify: 'modify-session',
  release: 'release-session',
  readTotals: 'read-totals',
} as const;
/** A plain register history's operations (Jepsen's cas-register): a cas value is `[from, to]`. */
export const REGISTER_F = { read: 'read', write: 'write', cas: 'cas' } as const;
/**
 * Every client operation some checker interprets. A client op with another `f` is refused where it is read, naming
 * its line: dropped silently it would leave a verdict that blames some other op. Nemesis ops may have any `f`.
 */
export const CLIENT_F: ReadonlySet<string> = new Set([...Object.values(SESSION_F), ...Object.values(REGISTER_F)]);

const opSchema = obj({
  index: opt(int),
  type: lit('invoke', 'ok', 'fail', 'info'),
  process: strOrInt,
  f: str,
  value: json,
  time: num,
  error: opt(str),
  key: opt(strOrInt),
});

/** One line of history.jsonl: Jepsen's fields in Jepsen's order, then the optional ones that are set. */
export function opLine(op: HistoryOp): string {
  const { index, type, process, f, value, time, error, key } = op;
  const ordered = {
    index,
    type,
    process,
    f,
    value,
    time,
    ...(error ? { error } : {}),
    ...(key !== undefined ? { key } : {}),
  };
  return `${JSON.stringify(ordered)}\n`;
}

/** Validates one parsed JSONL line as the op at `position`; a missing index is filled in from the position. */
export function parseOp(raw: unknown, position: number): HistoryOp {
  const op = opSchema.parse(raw, '');
  if (op.index !== undefined && op.index !== position) {
    throw new HistoryError(
      position,
      `index ${op.index} out of order: expected ${position} (indices are dense, from 0)`,
    );
  }
  if (op.process !== NEMESIS && !CLIENT_F.has(op.f)) {
    throw new HistoryError(
      position,
      `f ${JSON.stringify(op.f)} is not an operation any checker reads: expected one of ${[...CLIENT_F].join(', ')}`,
    );
  }
  // A cas whose value is not [from, to] cannot be judged: refuse it rather than guess. Its completion may carry
  // other text (a fail's reason), so only the invocation is held to the shape.
  if (op.f === REGISTER_F.cas && op.type === 'invoke' && !(Array.isArray(op.value) && op.value.length === 2)) {
    throw new HistoryError(position, `cas value ${JSON.stringify(op.value)} is not [from, to]`);
  }
  const out: HistoryOp = { ...op, index: position, value: op.value ?? null };
  return out;
}

/** A history that breaks the invoke/complete discipline; `index` is the offending op. */
export class HistoryError extends Error {
  override readonly name = 'HistoryError';
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(message);
  }
}

/** invoke index -> completion index (-1: never completed), and completion index -> invoke index. */
export interface Pairs {
  readonly completion: Int32Array;
  readonly invocation: Int32Array;
}

const pairsCache = new WeakMap<readonly HistoryOp[], Pairs>();

/** Pairs each invocation with its completion; throws HistoryError on a history no real run could produce. */
export function pairHistory(history: readonly HistoryOp[]): Pairs {
  const cached = pairsCache.get(history);
  if (cached) return cached;
  const completion = new Int32Array(history.length).fill(-1);
  const invocation = new Int32Array(history.length).fill(-1);
  const pending = new Map<Process, number>();
  for (let i = 0; i < history.length; i++) {
    const op = history[i]!;
    if (op.index !== i) throw new HistoryError(i, `op at position ${i} has index ${op.index}`);
    // Position is real-time order (Jepsen's): a time going backwards would make the checkers misread concurrency.
    if (i > 0 && op.time < history[i - 1]!.time) {
      throw new HistoryError(
        i,
        `time ${op.time} is earlier than the previous op's ${history[i - 1]!.time}: list ops in the order they happened`,
      );
    }
    const open = pending.get(op.process);
    if (op.type === 'invoke') {
      if (open !== undefined) {
        throw new HistoryError(i, `process ${op.process} invoked op ${i} while op ${open} was still open`);
      }
      pending.set(op.process, i);
      continue;
    }
    if (open === undefined) throw new HistoryError(i, `${op.type} on process ${op.process} without an open invoke`);
    if (history[open]!.f !== op.f) {
      throw new HistoryError(i, `${op.type} "${op.f}" completes invoke ${open} of "${history[open]!.f}"`);
    }
    completion[open] = i;
    invocation[i] = open;
    pending.delete(op.process);
  }
  const pairs = { completion, invocation };
  pairsCache.set(history, pairs);
  return pairs;
}

/** The time of the final heal: by convention the schedule ends with one, so it is the last nemesis op. */
export function finalHealTime(history: readonly HistoryOp[]): number {
  for (let i = history.length - 1; i >= 0; i--) {
    const op = history[i]!;
    if (op.process === NEMESIS) return op.time;
  }
  return 0;
}
