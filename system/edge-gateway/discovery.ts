// Leader discovery: ask every manager's /healthz now and then, so requests go straight to the leader, and a new
// leader is found while requests still wait on an old one that stopped answering (forwarder.ts).
import type { PeerPort } from '../common/peer-port.ts';
import type { Forwarder } from './forwarder.ts';

/** How long one manager's /healthz may take before it counts as not leading. */
const healthTimeoutMs = 500;

/**
 * One pass over the managers, telling `forwarder` the ready leader with the highest epoch. A pass still running
 * when the next is due is not doubled.
 */
export function leaderDiscovery(managers: ReadonlyMap<string, PeerPort>, forwarder: Forwarder): () => Promise<void> {
  let discovering = false;
  return async () => {
    if (discovering) return;
    discovering = true;
    try {
      const found = await Promise.all(
        [...managers].map(async ([name, peer]) => {
          const r = await peer
            .call<{ role?: string; ready?: boolean; epoch?: number }>('GET', '/healthz', undefined, {
              timeoutMs: healthTimeoutMs,
            })
            .catch(() => undefined);
          const { role, ready, epoch } = r?.body ?? {};
          return role === 'leader' && ready && typeof epoch === 'number' ? { name, epoch } : undefined;
        }),
      );
      let best: { name: string; epoch: number } | undefined;
      for (const f of found) if (f && (!best || f.epoch > best.epoch)) best = f;
      if (best) forwarder.leaderFound(best.name, best.epoch);
    } finally {
      discovering = false;
    }
  };
}
