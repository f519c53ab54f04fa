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
  // Stryker disable next-line ArithmeticOperator: any hash gives the same verdicts: the cache compares the set's words and the state, the hash only picks a bucket
  let h = (x + 0x9e3779b9) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Calls and returns in one doubly linked list, real-time order; ties put calls first (that only allows more orders). */
class EntryList {
  readonly head: number;
  readonly tail: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;

  constructor(ops: readonly LinOp<unknown, unknown>[]) {
    const n = ops.length;
    this.head = 2 * n;
    this.tail = 2 * n + 1;
    this.next = new Int32Array(2 * n + 2);
    this.prev = new Int32Array(2 * n + 2);
    // Entry 2i is op i's call, 2i+1 its return.
    const entries = Array.from({ length: 2 * n }, (_, e) => e);
    const at = (e: number) => ((e & 1) === 0 ? ops[e >> 1]!.call : ops[e >> 1]!.ret);
    entries.sort((a, b) => at(a) - at(b) || (a & 1) - (b & 1) || a - b);
    let last = this.head;
    for (const e of [...entries, this.tail]) {
      this.next[last] = e;
      this.prev[e] = last;
      last = e;
    }
  }

  first(): number {
    return this.next[this.head]!;
  }

  after(e: number): number {
    return this.next[e]!;
  }

  /** Takes out a call and its return (dancing links: `unlift` in reverse order restores them). */
  lift(call: number): void {
    this.unlink(call);
    this.unlink(call | 1);
  }

  unlift(call: number): void {
    this.relink(call | 1);
    this.relink(call);
  }

  private unlink(e: number): void {
    this.next[this.prev[e]!] = this.next[e]!;
    this.prev[this.next[e]!] = this.prev[e]!;
  }

  private relink(e: number): void {
    this.next[this.prev[e]!] = e;
    this.prev[this.next[e]!] = e;
  }
}

/**
 * Lowe's cache: the (linearized set, state) configurations already explored. Ops are numbered in call order and the
 * search linearizes them roughly in that order, so a set is all ones up to some word, then a short window: only the
 * window is stored, which keeps an entry small however long the history is.
 */
class ConfigCache<S> {
  private readonly buckets = new Map<number, { low: number; words: Uint32Array; state: S }[]>();
  size = 0;
  bytes = 0;

  constructor(private readonly equal: (a: S, b: S) => boolean) {}

  /** Adds the configuration (words below `low` are all ones); false if it was there already. */
  add(hash: number, bits: Uint32Array, low: number, high: number, state: S): boolean {
    let end = high + 1;
    while (end > low && bits[end - 1] === 0) end--;
    const bucket = this.buckets.get(hash);
    if (bucket) {
      for (const c of bucket)
        if (c.low === low && sameWords(c.words, bits, low, end) && this.equal(c.state, state)) return false;
    }
    const entry = { low, words: bits.slice(low, end), state };
    if (bucket) bucket.push(entry);
    else this.buckets.set(hash, [entry]);
    this.size++;
    this.bytes += 120 + 4 * (end - low);
    return true;
  }
}

function sameWords(words: Uint32Array, bits: Uint32Array, low: number, end: number): boolean {
  if (words.length !== end - low) return false;
  for (let i = 0; i < words.length; i++) if (words[i] !== bits[low + i]) return false;
  return true;
}

const CHECK_EVERY = 4096;

function overBudget(steps: number, cacheBytes: number, budget: Budget): string | undefined {
  if (steps % CHECK_EVERY !== 0) return undefined;
  if (performance.now() > budget.deadlineMs) return `time limit reached after ${steps} steps`;
  if (cacheBytes > budget.memoryBytes)
    return `memory limit reached (${Math.round(cacheBytes / 2 ** 20)} MiB of cached configurations)`;
  return undefined;
}

/**
 * Most partitions (a DSM record, a quiet key) never have two ops in flight at once: then real time fixes the only
 * order, and replaying it decides the partition without the search's structures. Returns undefined when ops overlap
 * or the replay fails (the search then finds and explains the failure).
 */
function replaySequential<S, I, O>(model: Model<S, I, O>, ops: readonly LinOp<I, O>[]): SearchResult<S> | undefined {
  for (let i = 1; i < ops.length; i++) if (!(ops[i - 1]!.ret < ops[i]!.call)) return undefined;
  let state = model.init();
  const order: number[] = [];
  for (let i = 0; i < ops.length; i++) {
    const r = model.step(state, ops[i]!.input, ops[i]!.output);
    if (r.ok) {
      state = r.state;
      order.push(i);
    } else if (ops[i]!.ret !== Number.POSITIVE_INFINITY) {
      return undefined;
    }
    // A last op of unknown outcome that cannot apply simply never happened.
  }
  return { kind: 'linearizable', order, cacheEntries: 0 };
}

export function search<S, I, O>(model: Model<S, I, O>, ops: readonly LinOp<I, O>[], budget: Budget): SearchResult<S> {
  const quick = replaySequential(model, ops);
  if (quick) return quick;
  const list = new EntryList(ops);
  const cache = new ConfigCache<S>(model.equal ?? ((a, b) => a === b));
  const bits = new Uint32Array((ops.length + 31) >>> 5);
  let hash = 0;
  // Words below `low` are all ones; no word above `high` has ever been set.
  let low = 0;
  let high = 0;
  const toggle = (op: number) => {
    const w = op >>> 5;
    bits[w]! ^= 1 << (op & 31);
    hash ^= zobrist(op);
    if (w < low) low = w;
    if (w > high) high = w;
    while (low < bits.length && bits[low] === 0xffffffff) low++;
  };
  let state = model.init();
  const calls: number[] = [];
  // Stryker disable next-line ArrayDeclaration: popped only after a matching push, so an element below the first push is never read
  const states: S[] = [];
  let best: { prefix: number[]; blocked: number; state: S } | undefined;
  let e = list.first();
  for (let steps = 1; ; steps++) {
    const stop = overBudget(steps, cache.bytes, budget);
    if (stop) return { kind: 'unknown', reason: stop, cacheEntries: cache.size };
    if (e === list.tail) return { kind: 'linearizable', order: calls.map((c) => c >> 1), cacheEntries: cache.size };
    const op = e >> 1;
    if ((e & 1) === 0) {
      const r = model.step(state, ops[op]!.input, ops[op]!.output);
      if (r.ok) {
        toggle(op);
        if (cache.add(hash, bits, low, high, r.state)) {
          calls.push(e);
          states.push(state);
          state = r.state;
          list.lift(e);
          e = list.first();
          continue;
        }
        toggle(op);
      }
      e = list.after(e);
      continue;
    }
    // A return: every op listed before +infinity has been placed, only unknown outcomes remain.
    if (ops[op]!.ret === Number.POSITIVE_INFINITY) {
      return { kind: 'linearizable', order: calls.map((c) => c >> 1), cacheEntries: cache.size };
    }
    if (!best || calls.length > best.prefix.length) best = { prefix: calls.map((c) => c >> 1), blocked: op, state };
    if (calls.length === 0) return { kind: 'not-linearizable', ...best, cacheEntries: cache.size };
    const call = calls.pop()!;
    state = states.pop()!;
    toggle(call >> 1);
    list.unlift(call);
    e = list.after(call);
  }
}
