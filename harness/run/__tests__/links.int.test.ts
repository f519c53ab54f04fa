// Proves every link of the system goes through the fault proxy: every address a service was given is a proxy's,
// and with every proxy disabled no service reaches any other or any store; re-enabled, the system works again.
import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../system/common/clock.ts';
import { Peer } from '../../../system/common/peer.ts';
import { parseKeyRing } from '../../../system/common/signing.ts';
import { waitForLeader } from '../../cluster/cluster.ts';
import { proxiedCluster } from './proxied-cluster.ts';

const sys = proxiedCluster('links', 2);
beforeAll(async () => {
  await waitForLeader(sys.cluster.gatewayUrl, 30_000);
});

const post = () =>
  fetch(`${sys.cluster.gatewayUrl}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ subscriberId: '001010000000001', trafficClass: 'voice', protocol: '2pc' }),
    signal: AbortSignal.timeout(60_000),
  }).then((r) => r.status);

async function eventually(check: () => Promise<boolean>, what: string, ms = 30_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}

describe('fault proxy on every link', () => {
  it('gives every service only proxy addresses', () => {
    const { env, net, cluster } = sys;
    const real = new Set([env.redis.port, env.postgres.port, ...[...cluster.services.values()].map((s) => s.port)]);
    expect(net.links).toEqual(
      expect.arrayContaining([
        'gateway->sm-1',
        'gateway->sm-2',
        'sm-1->redis',
        'sm-1->postgres',
        'sm-1->rm',
        'sm-1->billing',
        'rm->postgres',
        'billing->postgres',
        'rm->sm-1',
      ]),
    );
    for (const s of cluster.services.values()) {
      for (const [name, value] of Object.entries(s.spec.env)) {
        for (const m of value.matchAll(/127\.0\.0\.1:(\d+)/g))
          expect(real.has(Number(m[1])), `${s.spec.node} ${name}=${value}`).toBe(false);
      }
    }
  });

  it('cuts every service off when every proxy is disabled, and recovers when they come back', async () => {
    const { net, cluster } = sys;
    expect(await post()).toBe(201);
    await net.setEnabled(net.links, false);
    const peer = (node: string) =>
      new Peer(node, cluster.services.get(node)!.url, parseKeyRing(cluster.hmacKeys), systemClock());
    // No session manager can hold the lease without Redis.
    await eventually(async () => {
      for (const node of cluster.nodes) {
        const r = await peer(node).call<{ role: string }>('GET', '/healthz', undefined, { timeoutMs: 1000 });
        if (r.body.role === 'leader') return false;
      }
      return true;
    }, 'no leader while every link is down');
    // Participants cannot reach their databases; the gateway cannot reach any session manager.
    for (const p of ['rm', 'billing']) {
      const r = await peer(p)
        .call('GET', '/v1/state', undefined, { timeoutMs: 15_000 })
        .catch(() => ({ status: 0 }));
      expect(r.status, p).not.toBe(200);
    }
    expect([503, 504]).toContain(await post());

    await net.setEnabled(net.links, true);
    await eventually(async () => (await post()) === 201, 'a session commits again after the links come back', 60_000);
  });
});
