// A Redis 7.0 stream, as far as `XADD * [MAXLEN ~ n]` and `XRANGE` go (t_stream.c), for the Redis model
// (harness/sim/models/redis.ts). Approximate trimming removes whole radix-tree nodes only, so which entries it removes
// depends on how entries are packed into nodes: a node takes entries until it holds stream-node-max-entries (100)
// of them, or until its listpack's bytes plus the new entry's field and value lengths reach stream-node-max-bytes
// (4096). The listpack's bytes are counted here as listpack.c encodes them; nothing else of the listpack is kept.

/** Redis defaults, which our private Redis keeps. */
const nodeMaxEntries = 100;
const nodeMaxBytes = 4096;
/** XADD's work limit for `~` trimming: 100 nodes' worth of entries. */
const approxTrimLimit = 100 * nodeMaxEntries;
/** Listpack header (total bytes, element count) and end byte. */
const listpackEmptyBytes = 6 + 1;
const flagSameFields = 2;

export interface StreamId {
  ms: number;
  seq: number;
}

interface Entry {
  id: string;
  fields: readonly string[];
}

interface StreamNode {
  master: StreamId;
  masterFields: readonly string[];
  bytes: number;
  entries: Entry[];
}

export class XStream {
  private readonly nodes: StreamNode[] = [];
  private last: StreamId = { ms: 0, seq: 0 };
  length = 0;

  /** The id XADD `*` gives at `nowMs`: later than every id so far, even when the clock went back. */
  nextId(nowMs: number): StreamId {
    return nowMs > this.last.ms ? { ms: nowMs, seq: 0 } : { ms: this.last.ms, seq: this.last.seq + 1 };
  }

  /** Appends an entry with `id` (from nextId) and `fields` (field, value, ...). */
  append(id: StreamId, fields: readonly string[]): void {
    const names = fields.filter((_, i) => i % 2 === 0);
    let tail = this.nodes.at(-1);
    const elementBytes = fields.reduce((n, f) => n + Buffer.byteLength(f), 0);
    if (tail && (tail.bytes + elementBytes >= nodeMaxBytes || tail.entries.length >= nodeMaxEntries)) {
      tail = undefined;
    }
    if (!tail) {
      // The master entry: count, deleted, the field names, a zero terminator.
      const bytes = listpackEmptyBytes + intBytes(1) + intBytes(0) + intBytes(names.length);
      tail = { master: id, masterFields: names, bytes: bytes + sum(names.map(stringBytes)) + intBytes(0), entries: [] };
      this.nodes.push(tail);
    }
    tail.bytes += entryBytes(tail, id, names, fields);
    tail.entries.push({ id: `${id.ms}-${id.seq}`, fields });
    this.last = id;
    this.length++;
  }

  /** MAXLEN ~ maxLen: drops whole nodes from the head while at least maxLen entries remain. */
  trimApprox(maxLen: number): void {
    let deleted = 0;
    for (;;) {
      const head = this.nodes[0];
      if (!head || this.length <= maxLen) return;
      const n = head.entries.length;
      if (deleted + n > approxTrimLimit || this.length - n < maxLen) return;
      this.nodes.shift();
      this.length -= n;
      deleted += n;
    }
  }

  /** XRANGE start end, with `-`, `+`, `<ms>` and `<ms>-<seq>` (both ends inclusive). */
  range(start: string, end: string): Array<[string, string[]]> {
    const from = parseBound(start, 0);
    const to = parseBound(end, Number.MAX_SAFE_INTEGER);
    const out: Array<[string, string[]]> = [];
    for (const node of this.nodes) {
      for (const e of node.entries) {
        const id = parseBound(e.id, 0);
        if (compare(id, from) >= 0 && compare(id, to) <= 0) out.push([e.id, [...e.fields]]);
      }
    }
    return out;
  }
}

/** The listpack bytes of one entry: flags, ms and seq deltas, [field count, names,] values, element count. */
function entryBytes(node: StreamNode, id: StreamId, names: readonly string[], fields: readonly string[]): number {
  const same = names.length === node.masterFields.length && names.every((n, i) => n === node.masterFields[i]);
  let bytes =
    intBytes(same ? flagSameFields : 0) + intBytes(id.ms - node.master.ms) + intBytes(id.seq - node.master.seq);
  if (!same) bytes += intBytes(names.length) + sum(names.map(stringBytes));
  bytes += sum(fields.filter((_, i) => i % 2 === 1).map(stringBytes));
  const elements = names.length + 3 + (same ? 0 : names.length + 1);
  return bytes + intBytes(elements);
}

/** An integer element: its encoding (listpack.c LP_ENCODING_*) plus the back-length after it. */
function intBytes(v: number): number {
  let enc: number;
  if (v >= 0 && v <= 127) enc = 1;
  else if (v >= -4096 && v <= 4095) enc = 2;
  else if (v >= -32768 && v <= 32767) enc = 3;
  else if (v >= -8388608 && v <= 8388607) enc = 4;
  else if (v >= -2147483648 && v <= 2147483647) enc = 5;
  else enc = 9;
  return enc + backlenBytes(enc);
}

/** A string element: stored as an integer when it is one's canonical form (lpStringToInt64), else as bytes. */
function stringBytes(s: string): number {
  if (/^(0|-?[1-9][0-9]*)$/.test(s) && s.length < 21) {
    const n = BigInt(s);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return intBytes(Number(n));
  }
  const len = Buffer.byteLength(s);
  const enc = len <= 63 ? 1 + len : len <= 4095 ? 2 + len : 5 + len;
  return enc + backlenBytes(enc);
}

function backlenBytes(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

function sum(ns: readonly number[]): number {
  return ns.reduce((a, b) => a + b, 0);
}

function parseBound(s: string, seqDefault: number): StreamId {
  if (s === '-') return { ms: 0, seq: 0 };
  if (s === '+') return { ms: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER };
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new Error(`model XRANGE: bound ${s} is not -, +, <ms> or <ms>-<seq>`);
  return { ms: Number(m[1]), seq: m[2] === undefined ? seqDefault : Number(m[2]) };
}

function compare(a: StreamId, b: StreamId): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.seq - b.seq;
}
