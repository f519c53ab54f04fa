// The session requests the benchmark sends: each one for its own subscriber (so no two in-flight requests contend
// for an account row), traffic classes in turn. The floor derives the same subscriber, cell and amount from the
// same counter, so both sides do the same work per transaction.

import { trafficClasses as classes, type Protocol, type TrafficClass } from '../../system/common/contract.ts';
import { homeCell, tariff } from '../../system/session-manager/pricing.ts';

/** Subscribers the system seeds by default: imsi-00101 followed by 0000000000 .. 0000099999. */
export const subscribersSeeded = 100_000;
/** Cells the system seeds by default (cell-1 .. cell-1000). */
export const cellsSeeded = 1000;

export interface SessionSpec {
  subscriberId: string;
  trafficClass: TrafficClass;
  protocol: Protocol;
}

export function subscriberId(n: number): string {
  return `imsi-00101${String(n % subscribersSeeded).padStart(10, '0')}`;
}

/** The n-th request of a run. */
export function sessionSpec(n: number, protocol: Protocol): SessionSpec {
  return { subscriberId: subscriberId(n), trafficClass: classes[n % classes.length]!, protocol };
}

/** What the session manager derives from a request without cells: the home cell and the class's tariff. */
export function reservation(spec: SessionSpec): { cell: string; amount: number } {
  return { cell: homeCell(spec.subscriberId, cellsSeeded), amount: tariff[spec.trafficClass] };
}

/** A counter shared by every level of a run, so a subscriber is reused only after the whole range is used. */
export class RequestCounter {
  private n = 0;
  next(): number {
    return this.n++;
  }
}
