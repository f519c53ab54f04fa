// A model of the Redis server exactly as the session manager uses it (DESIGN section 9), for the simulator. It
// re-implements OUR scripts, not Redis: system/session-manager/redis/{acquire-2,renew-1,release-1,cas-3,emit-4}.lua,
// and the rest of `RedisStore` in system/session-manager/store.ts (HGETALL for `read`, the argument mapping, the
// error mapping). Each script call changes the state synchronously, before its promise settles, as one script runs
// alone on the server; and like Redis 7 it keeps the writes made before a command inside it failed.
//
// What it follows of Redis 7.0 itself, because our scripts depend on it:
// - Time is the server's `clock.wallMs()`, in whole ms for expiry and stream ids (Redis's mstime) and in us for
//   TIME. A key set with PX expires once that time passes its deadline (checked lazily, on access, like Redis).
// - Stream entry ids are `<ms>-<seq>`, strictly increasing even when the clock goes back (XADD `*`).
// - `XADD MAXLEN ~ n` removes only whole radix-tree nodes (listpacks) from the head, and only while the stream keeps
//   at least n entries. So the model packs entries into nodes as Redis does (stream-node-max-entries 100,
//   stream-node-max-bytes 4096, the listpack's own byte sizes), so that it trims the same entries.
// - cjson encodes numbers with 14 significant digits (%.14g), so the audit holds a long number rounded to that.
// - A restart keeps everything: harness/env/local.ts runs Redis with an append-only file and stops it with SIGTERM,
//   which flushes the file; expiry deadlines are absolute (PXAT in the file), and the stream keeps its last id.
import type { Clock } from '../../../system/common/clock.ts';
import { ServiceError } from '../../../system/common/errors.ts';
import type { RedisEvidenceSource } from '../../../system/session-manager/evidence.ts';
import { type Acquired, acquired, type LeaseStore } from '../../../system/session-manager/leader.ts';
import {
  type Dsm,
  type EventStream,
  keys,
  type SessionRecord,
  type StoreOptions,
  type StreamEvent,
  type VersionedRecord,
} from '../../../system/session-manager/store.ts';
import { type StreamId, XStream } from './redis-stream.ts';

/** The files this model re-implements, with the SHA-256 of the version it was last checked against. */
export const follows: Readonly<Record<string, string>> = {
  'system/session-manager/redis/acquire-2.lua': 'c0ae2c32ea8d41124ec3cbefcf965ed5ba0c7f9b4f6c8c6e7b1ae8719fac4dcc',
  'system/session-manager/redis/renew-1.lua': 'e886cf45c3ebe18441f3d3f64d81c52d97942071bb65c24c15a6b4399fce77e2',
  'system/session-manager/redis/release-1.lua': 'b59297b9c814325a218c5665103b70a33a457c00ddcca95584258a21fcf812b8',
  'system/session-manager/redis/cas-3.lua': '213484cbff6c4ee72d72720b58c4da19282a23b8b4b9e6bc1de077ba3b247d74',
  'system/session-manager/redis/emit-4.lua': 'ed5002974f42ab89db0699d1df0386137569507c7deea35ca7448cf8a054832a',
  'system/session-manager/store.ts': '8379ba46916f10d3376aad4aba630ca9a5dfde5d0e543dce4740a2139e19ee0b',
};

/** What `new RedisStore(redis, node)` uses when given no options. */
const defaultOptions: StoreOptions = {
  streamMaxLen: 0,
  auditMaxLen: 0,
  checkTokens: true,
  sequencePerSession: true,
  compareVersions: true,
};

type Value =
  | { kind: 'string'; value: string; expiresAtMs?: number }
  | { kind: 'hash'; fields: Map<string, string> }
  | { kind: 'list'; items: string[] }
  | { kind: 'stream'; stream: XStream };

/** A Redis error reply (what ioredis rejects with), for the branches where a command inside a script fails. */
export class RedisReplyError extends Error {
  override readonly name = 'ReplyError';
}

export class RedisModel {
  private readonly data = new Map<string, Value>();
  /** Restarts so far (nothing else changes: see the header). */
  restarts = 0;
  /** What the rig's evidence readers call (readDsmAudit, readEvents), answered as ioredis answers. */
  readonly evidence: RedisEvidenceSource;

  constructor(private readonly clock: Clock) {
    this.evidence = {
      options: {},
      lrange: async (key, start, stop) => lrange(this.list(key)?.items ?? [], Number(start), Number(stop)),
      xrange: async (key, start, end) => this.stream(key)?.range(start, end) ?? [],
    };
  }

  /** A client of this server for one session-manager node, as `new RedisStore(redis, node, opts)` is. */
  store(node: string, opts: StoreOptions = defaultOptions): LeaseStore & Dsm & EventStream {
    return new ModelStore(this, node, opts);
  }

  /** The server restarts: it keeps exactly what our private Redis keeps across a restart, which is everything. */
  restart(): void {
    this.restarts++;
  }

  /** Whether `key` exists now (EXISTS), for tests and inspection. */
  exists(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Redis's mstime(): whole ms of the server's wall clock. */
  private nowMs(): number {
    return Math.floor(this.clock.wallMs());
  }

  /** PTTL: the ms a key has left; -1 when it has no expiry, -2 when there is no such key. */
  private pttl(key: string): number {
    const v = this.get(key);
    if (v === undefined) return -2;
    return v.kind === 'string' && v.expiresAtMs !== undefined ? v.expiresAtMs - this.nowMs() : -1;
  }

  private get(key: string): Value | undefined {
    const v = this.data.get(key);
    if (v?.kind === 'string' && v.expiresAtMs !== undefined && this.nowMs() > v.expiresAtMs) {
      this.data.delete(key);
      return undefined;
    }
    return v;
  }

  private typed<K extends Value['kind']>(key: string, kind: K): Extract<Value, { kind: K }> | undefined {
    const v = this.get(key);
    if (v !== undefined && v.kind !== kind) throw new Error(`model: ${key} holds a ${v.kind}, not a ${kind}`);
    return v as Extract<Value, { kind: K }> | undefined;
  }

  private getString(key: string): string | undefined {
    return this.typed(key, 'string')?.value;
  }

  private hash(key: string, create = false): Map<string, string> | undefined {
    const h = this.typed(key, 'hash');
    if (h || !create) return h?.fields;
    const fields = new Map<string, string>();
    this.data.set(key, { kind: 'hash', fields });
    return fields;
  }

  private list(key: string): { items: string[] } | undefined {
    return this.typed(key, 'list');
  }

  private stream(key: string): XStream | undefined {
    return this.typed(key, 'stream')?.stream;
  }

  /** acquire-2.lua. */
  acquireScript(node: string, ttlMs: number): [number, string] | [number, string, number] {
    const current = this.getString(keys.lease);
    if (current !== undefined) return [0, current, this.pttl(keys.lease)];
    const epoch = Number(this.getString(keys.epoch) ?? '0') + 1; // INCR
    this.data.set(keys.epoch, { kind: 'string', value: String(epoch) });
    const value = `${node}|${epoch}`;
    // SET PX: the INCR above stays when this fails, as in Redis 7.
    if (!Number.isInteger(ttlMs)) throw notAnInteger();
    if (ttlMs <= 0) throw new RedisReplyError("ERR invalid expire time in 'set' command");
    this.data.set(keys.lease, { kind: 'string', value, expiresAtMs: this.nowMs() + ttlMs });
    return [epoch, value];
  }

  /** renew-1.lua: compare-and-pexpire. */
  renewScript(value: string, ttlMs: number): 0 | 1 {
    const lease = this.typed(keys.lease, 'string');
    if (lease?.value !== value) return 0;
    if (!Number.isInteger(ttlMs)) throw notAnInteger();
    // PEXPIRE to a time not after now deletes the key (and still answers 1).
    if (ttlMs <= 0) this.data.delete(keys.lease);
    else lease.expiresAtMs = this.nowMs() + ttlMs;
    return 1;
  }

  /** release-1.lua. */
  releaseScript(value: string): 0 | 1 {
    if (this.getString(keys.lease) !== value) return 0;
    this.data.delete(keys.lease);
    return 1;
  }

  /** HGETALL of a session record, as `RedisStore.read` turns it into a VersionedRecord. */
  readRecord(sessionId: string): VersionedRecord | undefined {
    const h = this.hash(keys.session(sessionId));
    const record = h?.get('record');
    if (!h || record === undefined) return undefined;
    return {
      record: JSON.parse(record) as SessionRecord,
      version: Number(h.get('version')),
      token: Number(h.get('token')),
    };
  }

  /** cas-3.lua: {1, new version} ok, {-1, highest token} stale token, {-2, current version} version mismatch. */
  casScript(
    node: string,
    opts: StoreOptions,
    expected: number,
    token: number,
    record: SessionRecord,
  ): [number, number] {
    const key = keys.session(record.sessionId);
    const highest = Number(this.getString(keys.fence) ?? '0');
    const version = Number(this.hash(key)?.get('version') ?? '0');
    const atUs = String(Math.floor(this.clock.wallMs() * 1000)); // TIME, as seconds .. %06d microseconds
    const audit = (outcome: string, written: number) => {
      const entry: Record<string, unknown> = {
        key,
        expected: cjsonNumber(expected),
        version: cjsonNumber(written),
        token: cjsonNumber(token),
        status: record.txnState,
        node,
        txnId: String(record.txnId),
        session: String(record.status),
      };
      // tonumber of a revision that is no number is nil, and cjson leaves a nil field out.
      if (Number.isFinite(record.revision)) entry.revision = cjsonNumber(record.revision);
      Object.assign(entry, { outcome, atUs });
      this.rpush(keys.dsmAudit, JSON.stringify(entry));
      const keep = opts.auditMaxLen;
      if (keep > 0) this.ltrimNewest(keys.dsmAudit, keep);
    };
    if (token < highest && opts.checkTokens) {
      audit('stale-token', version);
      return [-1, highest];
    }
    if (version !== expected && opts.compareVersions) {
      audit('version', version);
      return [-2, version];
    }
    if (token > highest) this.data.set(keys.fence, { kind: 'string', value: String(token) });
    const h = this.hash(key, true)!;
    h.set('version', String(version + 1));
    h.set('token', String(token));
    h.set('record', JSON.stringify(record));
    audit('ok', version + 1);
    return [1, version + 1];
  }

  /** emit-4.lua: {1, id...} each event's entry id (an earlier one's for a txn appended before); {-1, highest}. */
  emitScript(opts: StoreOptions, events: readonly StreamEvent[], token: number): [1, ...string[]] | [-1, number] {
    const highest = Number(this.getString(keys.fence) ?? '0');
    if (token < highest) return [-1, highest];
    if (token > highest) this.data.set(keys.fence, { kind: 'string', value: String(token) });
    const maxLen = opts.streamMaxLen > 0 ? opts.streamMaxLen : undefined;
    const out: [1, ...string[]] = [1];
    for (const e of events) {
      const emitted = this.hash(keys.emitted);
      let id = emitted?.get(e.txnId);
      if (id === undefined) {
        const seq = this.hincrby(keys.sequences, opts.sequencePerSession ? e.sessionId : '*');
        const fields = ['sessionId', e.sessionId, 'txnId', e.txnId, 'outcome', e.outcome];
        fields.push('timestamp', String(e.decidedAtMs), 'seq', String(seq), 'token', String(token));
        id = this.xadd(keys.stream, maxLen, fields);
        this.hash(keys.emitted, true)!.set(e.txnId, id);
      }
      out.push(id);
    }
    return out;
  }

  private rpush(key: string, item: string): void {
    const l = this.list(key);
    if (l) l.items.push(item);
    else this.data.set(key, { kind: 'list', items: [item] });
  }

  /** LTRIM key -keep -1. */
  private ltrimNewest(key: string, keep: number): void {
    if (!Number.isInteger(keep)) throw notAnInteger();
    const l = this.list(key)!;
    if (l.items.length > keep) l.items.splice(0, l.items.length - keep);
  }

  private hincrby(key: string, field: string): number {
    const h = this.hash(key, true)!;
    const n = Number(h.get(field) ?? '0') + 1;
    h.set(field, String(n));
    return n;
  }

  private xadd(key: string, maxLen: number | undefined, fields: string[]): string {
    if (maxLen !== undefined && !Number.isInteger(maxLen)) throw notAnInteger();
    let s = this.stream(key);
    if (!s) {
      s = new XStream();
      this.data.set(key, { kind: 'stream', stream: s });
    }
    const id: StreamId = s.nextId(this.nowMs());
    s.append(id, fields);
    if (maxLen !== undefined) s.trimApprox(maxLen);
    return `${id.ms}-${id.seq}`;
  }
}

/** One node's client: RedisStore's methods, over the model's scripts. */
class ModelStore implements LeaseStore, Dsm, EventStream {
  constructor(
    private readonly redis: RedisModel,
    private readonly node: string,
    private readonly opts: StoreOptions,
  ) {}

  async acquire(node: string, ttlMs: number): Promise<Acquired> {
    const [epoch, holder, left] = this.redis.acquireScript(node, ttlMs);
    return acquired(epoch, holder, left);
  }

  async renew(value: string, ttlMs: number): Promise<boolean> {
    return this.redis.renewScript(value, ttlMs) === 1;
  }

  async release(value: string): Promise<boolean> {
    return this.redis.releaseScript(value) === 1;
  }

  async read(sessionId: string): Promise<VersionedRecord | undefined> {
    return this.redis.readRecord(sessionId);
  }

  async cas(expectedVersion: number, token: number, record: SessionRecord): Promise<number> {
    const [code, value] = this.redis.casScript(this.node, this.opts, expectedVersion, token, record);
    if (code === 1) return value;
    if (code === -1) {
      throw new ServiceError('stale_token', `DSM refused token ${token}: it has seen ${value}`, {
        token,
        highest: value,
      });
    }
    throw new ServiceError(
      'conflict',
      `DSM record ${record.sessionId} is at version ${value}, not ${expectedVersion}`,
      {
        version: value,
      },
    );
  }

  async emit(events: readonly StreamEvent[], token: number): Promise<string[]> {
    if (events.length === 0) return [];
    const [code, ...ids] = this.redis.emitScript(this.opts, events, token);
    if (code === -1) throw new ServiceError('stale_token', `stream refused token ${token}: it has seen ${ids[0]}`);
    return ids.map(String);
  }
}

function notAnInteger(): RedisReplyError {
  return new RedisReplyError('ERR value is not an integer or out of range');
}

/**
 * A number as cjson writes it (printf %.14g), read back: 14 significant digits, rounded to nearest from the exact
 * binary value, a tie to even (where `toPrecision` would round a tie up).
 */
function cjsonNumber(n: number): number {
  if (!Number.isFinite(n) || n === 0) return n;
  const [mantissa, exponent] = Math.abs(n).toExponential(99).split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const head = BigInt(digits.slice(0, 14));
  const tail = digits.slice(14);
  const up = tail[0]! > '5' || (tail[0] === '5' && (/[1-9]/.test(tail.slice(1)) || head % 2n === 1n));
  return Math.sign(n) * Number(`${head + (up ? 1n : 0n)}e${Number(exponent) - 13}`);
}

/** LRANGE's index rules: negative counts from the end, out-of-range ends clamp. */
function lrange(items: readonly string[], start: number, stop: number): string[] {
  const len = items.length;
  const from = Math.max(0, start < 0 ? len + start : start);
  const to = Math.min(len - 1, stop < 0 ? len + stop : stop);
  return from > to ? [] : items.slice(from, to + 1);
}
