// Run-time fault injection (spec section 9) through the signed /admin/faults of running processes: abort
// probability, latency per endpoint (a healed delay releases the requests it holds) and clock offset change what
// the system does at once and without a restart; bad settings are refused with 400 and change nothing.
// Clock offset is realistic, not simulated: signatures carry wall time, so a receiver whose clock is skewed past the
// signature window refuses every signed request (401 stale_timestamp), ours included, until someone whose clock
// agrees with it (here a client signing with the same skew) heals it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../common/clock.ts';
import { Peer } from '../common/peer.ts';
import { parseKeyRing } from '../common/signing.ts';
import { eventually, type SystemFixture, setFaults, startSystem, subscriber } from './support.ts';

const signatureWindowMs = 5000;
let sys: SystemFixture;
beforeAll(async () => {
  sys = await startSystem({ nodes: 1, extraEnv: { RIG_SIGNATURE_WINDOW_MS: String(signatureWindowMs) } });
});
afterAll(async () => {
  await sys?.stop();
});

const timeoutMs = 10_000;
const voice = (i: number) => ({ subscriberId: subscriber(i), trafficClass: 'voice', protocol: '2pc' });

async function faultsOf(node: string) {
  return (await sys.peer(node).call<Record<string, unknown>>('GET', '/admin/faults', undefined, { timeoutMs })).body;
}

const pid = (node: string) => sys.cluster.services.get(node)!.proc.pid;

describe('fault injection at run time', () => {
  it('votes no while abortProbability is 1 and yes once it is 0, in the same process', async () => {
    const before = pid('rm');
    await setFaults(sys, 'rm', { abortProbability: 1 });
    expect(await faultsOf('rm')).toMatchObject({ abortProbability: 1 });
    const refused = await sys.createSession(voice(1));
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ reason: 'injected' });
    await setFaults(sys, 'rm', {});
    expect((await sys.createSession(voice(1))).status).toBe(201);
    expect(pid('rm')).toBe(before);
  });

  it('delays one endpoint, and releases the requests it holds when the latency is healed', async () => {
    await setFaults(sys, 'rm', { latency: { '/v1/txn/:txnId/prepare': { ms: 300, jitterMs: 0 } } });
    const slow = await sys.createSession(voice(2));
    expect(slow.status).toBe(201);
    expect((slow.body.timings as { prepareMs: number }).prepareMs).toBeGreaterThanOrEqual(300);
    await setFaults(sys, 'rm', { latency: { '/v1/state': { ms: 600_000 } } });
    const held = sys.peer('rm').call('GET', '/v1/state', undefined, { timeoutMs: 120_000 });
    await eventually(async () => {
      const text = await (await fetch(`${sys.cluster.services.get('rm')!.url}/metrics`)).text();
      return /^rig_fault_delayed_requests(\{[^}]*\})? 1$/m.test(text) || undefined;
    }, 'the request held');
    await setFaults(sys, 'rm', {});
    expect((await held).status).toBe(200);
  });

  it('skews the clock: a receiver past the signature window refuses signed requests until healed', async () => {
    const skewMs = 4 * signatureWindowMs;
    await setFaults(sys, 'rm', { clockOffsetMs: skewMs });
    const refused = await sys.createSession(voice(3));
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ reason: 'stale_timestamp' });
    // Our own clock is now as far from rm's as the leader's is: refused as well.
    const ours = await sys.peer('rm').call<{ code: string }>('GET', '/admin/faults', undefined, { timeoutMs });
    expect(ours.status).toBe(401);
    expect(ours.body.code).toBe('stale_timestamp');
    // A client whose clock agrees with rm's is heard, and heals it.
    const skewed: Clock = {
      ...systemClock(),
      wallMs: () => Date.now() + skewMs,
      monotonicMs: () => performance.now(),
      setOffsetMs: () => {},
      offsetMs: () => skewMs,
    };
    const agreeing = new Peer(
      'skewed',
      sys.cluster.services.get('rm')!.url,
      parseKeyRing(sys.cluster.hmacKeys),
      skewed,
    );
    try {
      const healed = await agreeing.call('PUT', '/admin/faults', {}, { timeoutMs });
      expect(healed.status).toBe(200);
    } finally {
      agreeing.close();
    }
    expect((await sys.createSession(voice(3))).status).toBe(201);
  });

  it('exposes the metrics of DESIGN section 2 on the leader', async () => {
    const text = await (await fetch(`${sys.cluster.services.get('sm-1')!.url}/metrics`)).text();
    for (const name of [
      'rig_http_requests_total',
      'rig_http_request_duration_seconds',
      'rig_rejected_messages_total',
      'rig_transactions_total',
      'rig_leader',
      'rig_leader_epoch',
      'rig_leadership_changes_total',
      'rig_in_doubt_transactions',
      'rig_deadlocks_total',
      'rig_deadlock_resolution_seconds',
      'rig_scheduler_queue_delay_seconds',
      'rig_scheduler_queue_depth',
      'rig_scheduler_shed_total',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    expect(text).toMatch(/^rig_leader(\{[^}]*\})? 1$/m);
    expect(text).toMatch(/^rig_transactions_total\{[^}]*protocol="2pc"[^}]*outcome="commit"/m);
    expect(text).toMatch(/^rig_scheduler_queue_delay_seconds_count\{[^}]*class="voice"[^}]*\} [1-9]/m);
  });

  it('refuses bad settings with 400 naming the problem, and changes nothing', async () => {
    const standing = { abortProbability: 0.25, latency: { '/v1/state': { ms: 1, jitterMs: 0 } } };
    await setFaults(sys, 'billing', standing);
    const before = await faultsOf('billing');
    const bad: Array<[unknown, string]> = [
      [{ abortProbability: 2 }, 'abortProbability'],
      [{ abortProbability: 'always' }, 'abortProbability'],
      [{ crashPoints: ['after-lunch'] }, 'crashPoints'],
      [{ crashPoints: 'after-intent-logged' }, 'crashPoints'],
      [{ latency: { '*': { ms: -1 } } }, 'latency'],
      [{ latency: { 'v1/state': { ms: 5 } } }, 'latency key'],
      [{ clockOffsetMs: 1.5 }, 'clockOffsetMs'],
      [{ colour: 'red' }, 'unknown setting'],
      [[], 'JSON object'],
      // One bad field refuses the whole change, the good ones included.
      [{ abortProbability: 0, crashPoints: ['nope'] }, 'crashPoints'],
    ];
    for (const [body, problem] of bad) {
      const r = await sys.peer('billing').call<{ code: string; message: string }>('PUT', '/admin/faults', body, {
        timeoutMs,
      });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe('bad_request');
      expect(r.body.message).toContain(problem);
      expect(await faultsOf('billing')).toEqual(before);
    }
    const unsigned = await fetch(`${sys.cluster.services.get('billing')!.url}/admin/faults`, {
      method: 'PUT',
      body: '{}',
    });
    expect(unsigned.status).toBe(401);
    expect(await faultsOf('billing')).toEqual(before);
    await setFaults(sys, 'billing', {});
  });
});
