// A request repeated with the same idempotency key (a gateway retry after a timeout, a client retry) gets the
// outcome of the first one: it waits, bounded, for that transaction's decision in the log, and says the outcome is
// unknown (504, indeterminate) if it is still undecided by then.
import type { Clock } from '../common/clock.ts';
import type { SessionOutcome } from '../common/contract.ts';
import { ServiceError } from '../common/errors.ts';
import { revisionAfter } from './delivery.ts';
import type { TxLog } from './txlog.ts';

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
