// The Redis side of the session manager: the leader lease, the DSM (versioned compare-and-swap session records,
// spec section 4) and the event stream (section 11). Every write is a Lua script fenced by the leader's token.
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import type { Decision, Protocol, Revision, TrafficClass, TxnKind } from '../common/contract.ts';
import { ServiceError } from '../common/errors.ts';
import { defineScripts, loadScripts } from '../common/redis.ts';
import { type Acquired, acquired, type LeaseStore } from './leader.ts';

/** A transaction's stage as the DSM records it. */
export type TxnStage = 'PENDING' | 'PREPARED' | 'PRECOMMITTED' | 'COMMITTED' | 'ABORTED';
/** The session's own status: its creation's stage until that ends; `COMMITTED` is active. */
export type SessionStatus = TxnStage | 'RELEASED';

/**
 * A session in the DSM: what it is now (class, cells, status, revision), the transaction that last wrote it
 * (`txnId`, at stage `txnState`) and, while a modify or release runs, the change it makes (`change`). A change claims
 * the record (sets `change`) with its first write, so at most one runs per session.
 */
export interface SessionRecord {
  sessionId: string;
  txnId: string;
  txnState: TxnStage;
  subscriberId: string;
  trafficClass: TrafficClass;
  protocol: Protocol;
  cells: string[];
  status: SessionStatus;
  revision: Revision;
  change?: { kind: Exclude<TxnKind, 'create'>; trafficClass: TrafficClass; cells: string[] };
  reason?: string;
  updatedAtMs: number;
}

export interface VersionedRecord {
  record: SessionRecord;
  version: number;
  token: number;
}

/** The DSM as the coordinator sees it. */
export interface Dsm {
  read(sessionId: string): Promise<VersionedRecord | undefined>;
  /** Writes `record` if the stored version equals `expectedVersion` (0: absent); returns the new version. */
  cas(expectedVersion: number, token: number, record: SessionRecord): Promise<number>;
}

/** A decided transaction's outcome, as the stream carries it. */
export interface StreamEvent {
  txnId: string;
  sessionId: string;
  outcome: Decision;
  decidedAtMs: number;
}

export interface EventStream {
  /**
   * Appends the events in the order given, each at most once per txn, in one round trip, under the appender's
   * `token`; returns their stream entry ids in the same order. A stale token appends none (stale_token); any other
   * failure may leave a prefix appended, which a retry of the whole batch finds and does not repeat.
   */
  emit(events: readonly StreamEvent[], token: number): Promise<string[]>;
}

export const keys = {
  lease: 'leader:lease',
  epoch: 'leader:epoch',
  fence: 'fence',
  session: (id: string) => `dsm:session:${id}`,
  dsmAudit: 'dsm:audit',
  stream: 'session-events',
  emitted: 'session-events:emitted',
  sequences: 'session-events:seq',
};

const scriptsDir = fileURLToPath(new URL('./redis', import.meta.url));

export interface StoreOptions {
  /** Approximate stream length kept (0: all). */
  streamMaxLen: number;
  /** DSM audit entries kept, newest (0: all). */
  auditMaxLen: number;
  /** False only for the planted bug no-fencing: DSM writes are accepted whatever their token. */
  checkTokens: boolean;
  /** False only for the planted bug unordered-events: one sequence across all sessions. */
  sequencePerSession: boolean;
  /** False only for the planted bug cas-no-compare: a write lands whatever version the record is at. */
  compareVersions: boolean;
}

export class RedisStore implements LeaseStore, Dsm, EventStream {
  private readonly scripts: ReturnType<typeof defineScripts>;

  constructor(
    private readonly redis: Redis,
    private readonly node: string,
    private readonly opts: StoreOptions = {
      streamMaxLen: 0,
      auditMaxLen: 0,
      checkTokens: true,
      sequencePerSession: true,
      compareVersions: true,
    },
  ) {
    this.scripts = defineScripts(redis, loadScripts(scriptsDir));
  }

  async acquire(node: string, ttlMs: number): Promise<Acquired> {
    const [epoch, holder, left] = (await this.scripts.acquire!(keys.lease, keys.epoch, node, ttlMs)) as [
      number,
      string,
      number | undefined,
    ];
    return acquired(Number(epoch), String(holder), left);
  }

  async renew(value: string, ttlMs: number): Promise<boolean> {
    return (await this.scripts.renew!(keys.lease, value, ttlMs)) === 1;
  }

  async release(value: string): Promise<boolean> {
    return (await this.scripts.release!(keys.lease, value)) === 1;
  }

  async read(sessionId: string): Promise<VersionedRecord | undefined> {
    const h = await this.redis.hgetall(keys.session(sessionId));
    if (!h.record) return undefined;
    return { record: JSON.parse(h.record) as SessionRecord, version: Number(h.version), token: Number(h.token) };
  }

  async cas(expectedVersion: number, token: number, record: SessionRecord): Promise<number> {
    const [code, value] = (await this.scripts.cas!(
      keys.session(record.sessionId),
      keys.fence,
      keys.dsmAudit,
      expectedVersion,
      token,
      JSON.stringify(record),
      record.txnState,
      this.node,
      this.opts.checkTokens ? '1' : '0',
      this.opts.auditMaxLen,
      record.txnId,
      record.status,
      record.revision,
      this.opts.compareVersions ? '1' : '0',
    )) as [number, number];
    if (code === 1) return Number(value);
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
    const [code, ...ids] = (await this.scripts.emit!(
      keys.stream,
      keys.fence,
      keys.emitted,
      keys.sequences,
      token,
      this.opts.streamMaxLen,
      this.opts.sequencePerSession ? '1' : '0',
      ...events.flatMap((e) => [e.txnId, e.sessionId, e.outcome, e.decidedAtMs]),
    )) as [number, ...string[]];
    if (code === -1) throw new ServiceError('stale_token', `stream refused token ${token}: it has seen ${ids[0]}`);
    return ids.map(String);
  }
}
