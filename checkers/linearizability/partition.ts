// Register ops, split per key: keys are independent registers, so each is checked alone (far smaller searches).
// Sources: read/write/cas ops in the history (plain register histories) and the session managers' DSM calls.
import { type HistoryOp, type Key, NEMESIS, pairHistory, REGISTER_F } from '../../format/history.ts';
import type { DsmOpRecord } from '../../format/observations.ts';
import type { RegisterInput } from './model.ts';
import type { LinOp } from './search.ts';

const REGISTER_FS: ReadonlySet<string> = new Set(Object.values(REGISTER_F));

/** A register op plus what to cite: history op indices, or the server-side record it came from. */
export interface RegisterOp extends LinOp<RegisterInput, unknown> {
  ops: number[];
  source?: DsmOpRecord;
}

export interface Partition {
  /** Printable key: the register's key, or `dsm:<session>`. */
  key: string;
  ops: RegisterOp[];
  /** The register's value before any op: null for plain registers, version 0 (no record) for the DSM. */
  initial: unknown;
}

const ONE_REGISTER = 'register';

function add<K>(into: Map<K, RegisterOp[]>, key: K, op: RegisterOp): void {
  const list = into.get(key);
  if (list) list.push(op);
  else into.set(key, [op]);
}

/** How to cite an op in an explanation: its history ops, or its DSM call. */
export function cite(op: RegisterOp): string {
  const r = op.source;
  if (r) return `${r.node} ${r.f} ${JSON.stringify(r.value)} at ${r.start} ns`;
  return op.ops.length > 1 ? `ops ${op.ops[0]}-${op.ops[1]}` : `op ${op.ops[0]}`;
}

const keyName = (key: Key | undefined): string => (key === undefined ? ONE_REGISTER : String(key));

/**
 * History ops: a failed op never happened and is dropped; a read whose outcome is unknown changes nothing and is
 * dropped; a write or cas whose outcome is unknown (info, or never completed) may have happened at any time after it
 * was invoked, so its return is at +infinity.
 */
export function historyPartitions(history: readonly HistoryOp[]): Partition[] {
  const pairs = pairHistory(history);
  // Keyed by the raw key: the number 1 and the string "1" stay different registers (they print alike).
  const byKey = new Map<Key | undefined, RegisterOp[]>();
  for (const op of history) {
    if (op.type !== 'invoke' || op.process === NEMESIS || !REGISTER_FS.has(op.f)) continue;
    const c = pairs.completion[op.index]!;
    const done = c < 0 ? undefined : history[c]!;
    if (done?.type === 'fail') continue;
    const known = done?.type === 'ok';
    if (!known && op.f === 'read') continue;
    add(byKey, op.key ?? done?.key, {
      input: { f: op.f as RegisterInput['f'], value: op.value },
      output: known && op.f === 'read' ? done.value : undefined,
      call: op.index,
      ret: known ? c : Number.POSITIVE_INFINITY,
      ops: c < 0 ? [op.index] : [op.index, c],
    });
  }
  return [...byKey].map(([key, ops]) => ({ key: keyName(key), ops, initial: null }));
}

/**
 * DSM calls, timed by the session managers' clocks (converted to the run's time base by the harness). The register is
 * the record's version: 0 until the record exists, as in the CAS script.
 */
export function dsmPartitions(records: readonly DsmOpRecord[]): Partition[] {
  const byKey = new Map<string, RegisterOp[]>();
  for (const r of records) {
    if (r.outcome === 'fail' || (r.outcome === 'info' && r.f === 'read')) continue;
    const known = r.outcome === 'ok' && r.end !== undefined;
    add(byKey, `dsm:${r.key}`, {
      input: { f: r.f, value: r.f === 'read' ? null : r.value },
      output: known && r.f === 'read' ? (r.value ?? 0) : undefined,
      call: r.start,
      ret: known ? r.end! : Number.POSITIVE_INFINITY,
      ops: [],
      source: r,
    });
  }
  return [...byKey].map(([key, ops]) => ({ key, ops, initial: 0 }));
}
