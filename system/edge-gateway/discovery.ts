// Leader discovery: ask every manager's /healthz now and then, so requests go straight to the leader, and a new
// leader is found while requests still wait on an old one that stopped answering (forwarder.ts).
import type { PeerPort } from '../common/peer-port.ts';
import type { Forwarder } from './forwarder.ts';

/** How long one manager's /healthz may take before it counts as not leading. */
const healthTimeoutMs = 500;

/**
 * One pass over the managers: each answer that names a ready leader goes to `forwarder` as it comes (it keeps the
 * highest epoch), so a manager that does not answer (a paused old leader) never delays the news of a new one. A
 * manager still being asked when the next pass is due is not asked twice.
 */
export function leaderDiscovery(managers: ReadonlyMap<string, PeerPort>, forwarder: Forwarder): () => Promise<void> {
  const asking = new Set<string>();
  const ask = async (name: string, peer: PeerPort) => {
    if (asking.has(name)) return;
    asking.add(name);
    try {
      const r = await peer
        .call<{ role?: string; ready?: boolean; epoch?: number }>('GET', '/healthz', undefined, {
          timeoutMs: healthTimeoutMs,
        })
        .catch(() => undefined);
      const { role, ready, epoch } = r?.body ?? {};
      if (role === 'leader' && ready && typeof epoch === 'number') forwarder.leaderFound(name, epoch);
    } finally {
      asking.delete(name);
    }
  };
  return async () => {
    await Promise.all([...managers].map(([name, peer]) => ask(name, peer)));
  };
}
