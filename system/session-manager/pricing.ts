// What a session costs and where it goes when it names no cells: the documented rules (docs/api.md, "What a session
// costs"), used by the routes (a create) and the coordinator (a modify or release prices the session it changes).
import type { TrafficClass } from '../common/contract.ts';

// Credit held per session, by traffic class. The spec names no tariff; these keep voice cheapest to admit.
export const tariff: Record<TrafficClass, number> = { voice: 5, video: 20, data: 10 };

/** The subscriber's home cell: a stable hash of the canonical id onto cell-1..cell-N. */
export function homeCell(subscriberId: string, cells: number): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < subscriberId.length; i++) h = Math.imul(h ^ subscriberId.charCodeAt(i), 0x01000193) >>> 0;
  return `cell-${(h % cells) + 1}`;
}
