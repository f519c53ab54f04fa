// A request repeated with the same idempotency key (a gateway retry after a timeout, a client retry) gets the
// outcome of the first one: it waits, bounded, for that transaction's decision in the log, and says the outcome is
// unknown (504, indeterminate) if it is still undecided by then. A different request under a key already logged is
// refused (422 idempotency_key_reused, as draft-ietf-httpapi-idempotency-key-header's "Error Scenarios" asks) and
// changes nothing: answering it with the first one's outcome would tell the client that what it asked now was done.
//
// "Different" is judged on what the transaction does, in the normalised form the gateway forwards and the intent
// logs (the draft leaves the request's "fingerprint" to the server), not on the body's bytes: a request that spells
// the first one another way (an alias such as `VoIP`, an IMSI with spaces, `cells` left out where the first named the
// home cell, or a modify restating a value the session already had) would run the same transaction, and is a retry.
// What defines it:
// - every request: its kind (a key used for a create cannot name a modify);
// - create: subscriber, traffic class, protocol and cells, in order (the order the cells are locked in);
// - modify and release: the session; a modify also the traffic class and cells it leads to, from the session as the
//   first request found it (its logged base: what a body leaves out stays), since the session may have moved on
//   since, by this very transaction;
// - modify and release: `If-Match`. It is part of what the client asked: "change revision 3" and "change whatever is
//   current" are different requests, even where they would have done the same (a key first sent unconditionally and
//   then with `If-Match` is refused too). `*` is the same as none: the session must exist either way.
// Not compared: the session id of a create (ours, not the client's), and timings or anything else of the answer.
import type { Clock } from '../common/clock.ts';
import type { Revision, SessionOutcome } from '../common/contract.ts';
import { ServiceError } from '../common/errors.ts';
import { revisionAfter } from './delivery.ts';
import type { SessionChange, SessionRequest, TxLog, TxnRow } from './txlog.ts';

/** What a request under an idempotency key asks for, normalised as its intent would be logged. */
export type Asked =
  | { kind: 'create'; request: SessionRequest }
  | { kind: 'change'; sessionId: string; change: SessionChange; ifMatch: Revision | undefined };

/** One field on which a request differs from the first one logged under its key. */
export interface Difference {
  field: string;
  first: unknown;
  now: unknown;
}

/** Where `asked` differs from the request `first` logged (empty: the same request, a retry). */
export function differences(first: TxnRow, asked: Asked): Difference[] {
  const logged = first.request;
  const out: Difference[] = [];
  const compare = (field: string, was: unknown, now: unknown) => {
    if (JSON.stringify(was) !== JSON.stringify(now)) out.push({ field, first: was ?? null, now: now ?? null });
  };
  compare('kind', logged.kind ?? 'create', asked.kind === 'create' ? 'create' : asked.change.kind);
  if (out.length > 0) return out; // nothing else of another kind of request compares
  if (asked.kind === 'create') {
    const r = asked.request;
    compare('subscriberId', logged.subscriberId, r.subscriberId);
    compare('trafficClass', logged.trafficClass, r.trafficClass);
    compare('protocol', logged.protocol, r.protocol);
    compare('cells', logged.cells, r.cells);
    return out;
  }
  compare('sessionId', first.sessionId, asked.sessionId);
  if (out.length > 0) return out; // another session's base says nothing about this one
  const { change } = asked;
  if (change.kind === 'modify') {
    compare('trafficClass', logged.trafficClass, change.trafficClass ?? logged.base?.trafficClass);
    compare('cells', logged.cells, change.cells ?? logged.base?.cells);
  }
  compare('If-Match', logged.ifMatch, asked.ifMatch);
  return out;
}

function shown(field: string, value: unknown): string {
  if (field === 'If-Match') return value === null ? 'none' : `"${value}"`;
  return Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
}

/** 422 when `asked` is not the request first logged under its key; undefined for a retry of it. */
export function reuseRefusal(first: TxnRow, asked: Asked): ServiceError | undefined {
  const differs = differences(first, asked);
  if (differs.length === 0) return undefined;
  const what = differs.map((d) => `${d.field} ${shown(d.field, d.first)} then, ${shown(d.field, d.now)} now`);
  return new ServiceError(
    'idempotency_key_reused',
    `this Idempotency-Key was first sent with a different request (${what.join('; ')}), and nothing was done: a key ` +
      'names one request, and a retry must repeat it; to make this request, send it with a new Idempotency-Key',
    { differs },
  );
}

const pollDelayFirstMs = 20;
const pollDelayMaxMs = 250;

export async function awaitOutcome(
  txlog: TxLog,
  clock: Clock,
  txnId: string,
  startedMs: number,
  waitMaxMs: number,
): Promise<SessionOutcome> {
  const deadline = clock.monotonicMs() + waitMaxMs;
  for (let delay = pollDelayFirstMs; ; delay = Math.min(delay * 2, pollDelayMaxMs)) {
    const row = await txlog.get(txnId);
    if (row?.decision) {
      return {
        sessionId: row.sessionId,
        txnId,
        outcome: row.decision === 'commit' ? 'committed' : 'aborted',
        ...(row.reason ? { reason: row.reason } : {}),
        protocol: row.protocol,
        kind: row.request.kind ?? 'create',
        revision: revisionAfter(row.request, row.decision),
        timings: { totalMs: Math.round(clock.monotonicMs() - startedMs) },
      };
    }
    if (clock.monotonicMs() + delay > deadline) break;
    await clock.sleep(delay);
  }
  throw new ServiceError(
    'timeout',
    `the first request with this idempotency key (${txnId}) is still undecided`,
    { txnId },
    false,
  );
}
