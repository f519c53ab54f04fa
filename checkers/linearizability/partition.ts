// Register ops, split per key: keys are independent registers, so each is checked alone (far smaller searches).
// Sources: read/write/cas ops in the history (plain register histories), the clients' ops on sessions (each session a
// register holding its revision) and the session managers' DSM calls.
import {
  type HistoryOp,
  type Key,
  NEMESIS,
  type Pairs,
  pairHistory,
  REGISTER_F,
  SESSION_F,
} from '../../format/history.ts';
import type { DsmOpRecord } from '../../format/observations.ts';
import { sessionRequest, sessionResult } from '../sessions.ts';
import type { RegisterInput } from './model.ts';
import type { LinOp } from './search.ts';

const REGISTER_FS: ReadonlySet<string> = new Set(Object.values(REGISTER_F));
/** Client ops on an existing session: each reads or changes its revision. */
const SESSION_OP_FS: ReadonlySet<string> = new Set([SESSION_F.read, SESSION_F.modify, SESSION_F.release]);

/** Whether the history holds an op the linearizable checker judges: a register op, or an op on a session. */
export function hasRegisterOps(history: readonly HistoryOp[]): boolean {
  return history.some(
    (op) => op.type === 'invoke' && op.process !== NEMESIS && (REGISTER_FS.has(op.f) || SESSION_OP_FS.has(op.f)),
  );
}

/** A register op plus what to cite: history op indices, or the server-side record it came from. */
export interface RegisterOp extends LinOp<RegisterInput, unknown> {
  ops: number[];
  source?: DsmOpRecord;
}

export interface Partition {
  /** Printable key: the register's key, `session:<id>` or `dsm:<id>`. */
  key: string;
  ops: RegisterOp[];
  /**
   * The register's value before any op: null for plain registers, the creation's revision for a session, version 0
   * (no record) for the DSM.
   */
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
 * One client op on a session as a register op on its revision (docs/api.md: every committed modify or release adds
 * one). A read that answered is a read of the revision; one of unknown outcome changed nothing and is dropped. A
 * failed change did nothing (every 4xx and 503 is definite) and is dropped. A committed change with If-Match is a cas
 * from that revision to the one answered; without, a cas from the answered revision less one, which is exact since a
 * change adds exactly one. A change of unknown outcome may take effect at any time after its call (return at
 * +infinity): with If-Match, a cas to the next revision; without, an increment of whatever revision is there.
 */
function sessionOp(history: readonly HistoryOp[], pairs: Pairs, op: HistoryOp, ifMatch?: number): RegisterOp | null {
  const c = pairs.completion[op.index]!;
  const done = c < 0 ? undefined : history[c]!;
  if (done?.type === 'fail') return null;
  const ops = c < 0 ? [op.index] : [op.index, c];
  const revision = done?.type === 'ok' ? sessionResult(done.value).revision : undefined;
  if (op.f === SESSION_F.read) {
    if (revision === undefined) return null;
    return { input: { f: 'read', value: null }, output: revision, call: op.index, ret: c, ops };
  }
  const ret = done?.type === 'ok' ? c : Number.POSITIVE_INFINITY;
  const change = (input: RegisterInput): RegisterOp => ({ input, output: undefined, call: op.index, ret, ops });
  // An ok without a revision is still a change that happened: only its resulting value is unseen.
  if (ifMatch !== undefined) return change({ f: 'cas', value: [ifMatch, revision ?? ifMatch + 1] });
  if (revision !== undefined) return change({ f: 'cas', value: [revision - 1, revision] });
  return change({ f: 'incr', value: null });
}

/**
 * Client ops on sessions, one register per session (`session:<id>`) holding its revision. It starts at the revision
 * the session's creation answered (1), and only ops invoked after that answer are judged: before it, the client could
 * not have known the session.
 */
export function sessionPartitions(history: readonly HistoryOp[]): Partition[] {
  const pairs = pairHistory(history);
  const created = new Map<string, number>();
  const bySession = new Map<string, RegisterOp[]>();
  for (const op of history) {
    if (op.process === NEMESIS) continue;
    if (op.type === 'ok' && op.f === SESSION_F.create) {
      const r = sessionResult(op.value);
      if (r.sessionId !== undefined && !created.has(r.sessionId)) created.set(r.sessionId, r.revision ?? 1);
      continue;
    }
    if (op.type !== 'invoke' || !SESSION_OP_FS.has(op.f)) continue;
    const { sessionId, ifMatch } = sessionRequest(op.value);
    if (sessionId === undefined || !created.has(sessionId)) continue;
    const lin = sessionOp(history, pairs, op, ifMatch);
    if (lin) add(bySession, sessionId, lin);
  }
  return [...bySession].map(([id, ops]) => ({ key: `session:${id}`, ops, initial: created.get(id)! }));
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
