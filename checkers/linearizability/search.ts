// Wing & Gong's linearizability search with Lowe's memoisation (as in Porcupine). Calls and returns sit in one
// doubly linked list in real-time order. Walking it, a call may be linearized now if the model accepts it: the op is
// lifted out of the list and the search restarts from the head. Reaching a return means that op had to be linearized
// already, so the search backtracks. A cache of (linearized set, state) pairs already explored prunes repeats, which is
// what makes the search practical. An op with an unknown outcome has its return at +infinity: it may be linearized
// any time after its call, and if every op still in the list is such an op, they are left out (they never happened).
import type { Model } from './model.ts';

export interface LinOp<I, O> {
  input: I;
  /** Undefined when the outcome is unknown. */
  output: O | undefined;
  /** Real-time positions: call before return; `ret` is Infinity when the outcome is unknown. */
  call: number;
  ret: number;
}

export interface Budget {
  /** `performance.now()` after which the search gives up. */
  deadlineMs: number;
  memoryBytes: number;
}

export type SearchResult<S> =
  | { kind: 'linearizable'; order: number[]; cacheEntries: number }
  | { kind: 'not-linearizable'; prefix: number[]; blocked: number; state: S; cacheEntries: number }
  | { kind: 'unknown'; reason: string; cacheEntries: number };

/** murmur3's finalizer: spreads an op id into a 32-bit Zobrist key, so the set's hash updates with one xor. */
function zobrist(x: number): number {
  let h = (x + 0x9e3779b9) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The list in real-time order; ties put calls first, which only ever allows more orders. */
function buildList(ops: readonly LinOp<unknown, unknown>[]): { next: Int32Array; prev: Int32Array } {
  const n = ops.length;
  const entries: number[] = [];
  for (let i = 0; i < n; i++) entries.push(2 * i, 2 * i + 1);
  const at = (e: number) => ((e & 1) === 0 ? ops[e >> 1]!.call : ops[e >> 1]!.ret);
  entries.sort((a, b) => at(a) - at(b) || (a & 1) - (b & 1) || a - b);
  const next = new Int32Array(2 * n + 2);
  const prev = new Int32Array(2 * n + 2);
  let last = 2 * n; // head sentinel
  for (const e of entries) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  next[last] = 2 * n + 1; // tail sentinel
  prev[2 * n + 1] = last;
  return { next, prev };
}

const CHECK_EVERY = 4096;

export function search<S, I, O>(model: Model<S, I, O>, ops: readonly LinOp<I, O>[], budget: Budget): SearchResult<S> {
  const n = ops.length;
  const head = 2 * n;
  const tail = 2 * n + 1;
  const { next, prev } = buildList(ops);
  const equal = model.equal ?? ((a: S, b: S) => a === b);
  const words = (n + 31) >>> 5;
  const entryBytes = 120 + 4 * words;
  const bits = new Uint32Array(words);
  const cache = new Map<number, { bits: Uint32Array; state: S }[]>();
  let cacheEntries = 0;
  let hash = 0;
  let state = model.init();
  const stackCall: number[] = [];
  const stackState: S[] = [];
  let best: { prefix: number[]; blocked: number; state: S } | undefined;

  const lift = (e: number) => {
    next[prev[e]!] = next[e]!;
    prev[next[e]!] = prev[e]!;
    const r = e | 1;
    next[prev[r]!] = next[r]!;
    prev[next[r]!] = prev[r]!;
  };
  const unlift = (e: number) => {
    const r = e | 1;
    next[prev[r]!] = r;
    prev[next[r]!] = r;
    next[prev[e]!] = e;
    prev[next[e]!] = e;
  };
  /** Adds (bits, state) to the cache; false if it was there already. */
  const remember = (s: S): boolean => {
    const bucket = cache.get(hash);
    if (bucket) {
      for (const c of bucket) if (equal(c.state, s) && sameBits(c.bits, bits)) return false;
      bucket.push({ bits: bits.slice(), state: s });
    } else {
      cache.set(hash, [{ bits: bits.slice(), state: s }]);
    }
    cacheEntries++;
    return true;
  };

  let e = next[head]!;
  for (let steps = 1; ; steps++) {
    if (steps % CHECK_EVERY === 0) {
      if (performance.now() > budget.deadlineMs)
        return { kind: 'unknown', reason: `time limit reached after ${steps} steps`, cacheEntries };
      if (cacheEntries * entryBytes > budget.memoryBytes) {
        return {
          kind: 'unknown',
          reason: `memory limit reached (${cacheEntries} cached configurations)`,
          cacheEntries,
        };
      }
    }
    if (e === tail) return { kind: 'linearizable', order: stackCall.map((c) => c >> 1), cacheEntries };
    const op = e >> 1;
    if ((e & 1) === 0) {
      const o = ops[op]!;
      const r = model.step(state, o.input, o.output);
      if (r.ok) {
        bits[op >>> 5]! |= 1 << (op & 31);
        hash ^= zobrist(op);
        if (remember(r.state)) {
          stackCall.push(e);
          stackState.push(state);
          state = r.state;
          lift(e);
          e = next[head]!;
          continue;
        }
        bits[op >>> 5]! &= ~(1 << (op & 31));
        hash ^= zobrist(op);
      }
      e = next[e]!;
      continue;
    }
    // A return: every op still listed before +infinity has been placed, only unknown outcomes remain.
    if (ops[op]!.ret === Number.POSITIVE_INFINITY) {
      return { kind: 'linearizable', order: stackCall.map((c) => c >> 1), cacheEntries };
    }
    if (!best || stackCall.length > best.prefix.length) {
      best = { prefix: stackCall.map((c) => c >> 1), blocked: op, state };
    }
    if (stackCall.length === 0) return { kind: 'not-linearizable', ...best, cacheEntries };
    const call = stackCall.pop()!;
    state = stackState.pop()!;
    const undone = call >> 1;
    bits[undone >>> 5]! &= ~(1 << (undone & 31));
    hash ^= zobrist(undone);
    unlift(call);
    e = next[call]!;
  }
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
