// Fault windows from the nemesis ops in the history: the reports shade the time-based charts with them, and the
// stats checker measures unavailability in each (checkers/availability.ts). A nemesis op's `f` names what it did:
// `start-X` opens a window of kind X that `stop-X` closes, as do kill-X/restart-X and pause-X/resume-X; `heal` (or the
// schedule's final heal, whatever it is called) closes everything still open. Anything else is an instant (e.g. a
// Redis restart or a connection reset) and is drawn as a line. A window still open at the end runs to the end.
import { type HistoryOp, NEMESIS, pairHistory } from './history.ts';
import { isPlainObject } from './schema.ts';

export interface NemesisOp {
  index: number;
  /** History index of the op's completion, -1 if none. */
  completion: number;
  f: string;
  value: unknown;
  /** Invocation and completion times, ms (the completion's is the invocation's when there is none). */
  startMs: number;
  endMs: number;
  type: string;
  error?: string;
}

export interface FaultWindow {
  kind: string;
  label: string;
  startMs: number;
  endMs: number;
  /** The ops that opened and closed it (history indices of the invocations); -1 when the run ended first. */
  openedBy: number;
  closedBy: number;
}

export interface FaultInstant {
  label: string;
  atMs: number;
  index: number;
}

export interface Faults {
  windows: FaultWindow[];
  instants: FaultInstant[];
}

const OPENS: Record<string, string> = { start: 'stop', kill: 'restart', pause: 'resume', begin: 'end' };
const CLOSES = new Set(Object.values(OPENS));
const HEALS = new Set(['heal', 'final-heal', 'stop', 'heal-all', 'stop-all']);

export function nemesisOps(history: readonly HistoryOp[]): NemesisOp[] {
  const pairs = pairHistory(history);
  const out: NemesisOp[] = [];
  for (const op of history) {
    if (op.process !== NEMESIS || op.type !== 'invoke') continue;
    const c = pairs.completion[op.index] ?? -1;
    const done = c < 0 ? undefined : history[c]!;
    // The completion says what was actually done; the invocation only what was asked.
    const value = done && done.value !== null && done.value !== undefined ? done.value : op.value;
    const error = done?.error ?? op.error;
    const startMs = op.time / 1e6;
    const n: NemesisOp = {
      index: op.index,
      completion: c,
      f: op.f,
      value,
      startMs,
      endMs: done ? done.time / 1e6 : startMs,
      type: done?.type ?? 'open',
    };
    if (error !== undefined) n.error = error;
    out.push(n);
  }
  return out;
}

/** "start-partition" -> ["start", "partition"]; "heal" -> ["heal", ""]. */
function verbAndKind(f: string): [string, string] {
  const dash = f.indexOf('-');
  return dash < 0 ? [f, ''] : [f.slice(0, dash), f.slice(dash + 1)];
}

/** A few words about what a nemesis op did, from the usual fields of its value. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!isPlainObject(value)) return value === null || value === undefined ? '' : JSON.stringify(value);
  const parts: string[] = [];
  for (const key of [
    'variant',
    'isolate',
    'node',
    'nodes',
    'target',
    'targets',
    'process',
    'link',
    'links',
    'participant',
  ]) {
    const v = value[key];
    if (v === undefined) continue;
    parts.push(`${key} ${Array.isArray(v) ? v.join(',') : String(v)}`);
  }
  const text = parts.join('; ') || JSON.stringify(value);
  return text.length <= 80 ? text : `${text.slice(0, 79)}…`;
}

export function faultWindows(ops: readonly NemesisOp[], endMs: number): Faults {
  const open = new Map<string, { op: NemesisOp; kind: string }>();
  const windows: FaultWindow[] = [];
  const instants: FaultInstant[] = [];
  const close = (key: string, by: NemesisOp | undefined) => {
    const o = open.get(key)!;
    open.delete(key);
    const label = [o.kind, describeValue(o.op.value)].filter(Boolean).join(': ');
    windows.push({
      kind: o.kind,
      label,
      startMs: o.op.startMs,
      endMs: by ? by.endMs : endMs,
      openedBy: o.op.index,
      closedBy: by ? by.index : -1,
    });
  };
  for (const op of ops) {
    const [verb, kind] = verbAndKind(op.f);
    if (HEALS.has(op.f)) {
      for (const key of [...open.keys()]) close(key, op);
      instants.push({ label: op.f, atMs: op.startMs, index: op.index });
    } else if (OPENS[verb] !== undefined && kind !== '') {
      const key = `${OPENS[verb]}-${kind}`;
      if (open.has(key)) close(key, op);
      open.set(key, { op, kind: op.f === `start-${kind}` ? kind : op.f });
    } else if (CLOSES.has(verb) && open.has(op.f)) {
      close(op.f, op);
    } else {
      instants.push({
        label: [op.f, describeValue(op.value)].filter(Boolean).join(': '),
        atMs: op.startMs,
        index: op.index,
      });
    }
  }
  for (const key of [...open.keys()]) close(key, undefined);
  windows.sort((a, b) => a.startMs - b.startMs);
  return { windows, instants };
}
