// What each toxic does to real TCP connections, observed from outside, written once for every backend. Timing
// checks are lower bounds only ("at least the latency"); waits are conditions with deadlines, never bare sleeps.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import type { Fixture } from './fixture.ts';
import { roundTrip, TestClient, toxicBody as toxic, waitFor } from './net-helpers.ts';

// Timer slack: a timer may fire up to a millisecond before the nominal time on either side of the measurement.
const slackMs = 5;

export function toxicConformance(fx: Fixture): void {
  it('latency delays each direction by at least its value, on connections already open too', async () => {
    const { proxy, port } = await fx.echoProxy();
    const client = await fx.client(port);
    await proxy.addToxic(toxic('latency', 'downstream', { latency: 300, jitter: 0 }));
    const start = performance.now();
    client.socket.write('a');
    await client.untilReceived(1);
    expect(client.firstByteAt! - start).toBeGreaterThanOrEqual(300 - slackMs);
    await proxy.addToxic(toxic('latency', 'upstream', { latency: 200, jitter: 0 }));
    expect((await roundTrip(port)).elapsedMs).toBeGreaterThanOrEqual(500 - slackMs);
  });

  it('latency with jitter keeps the byte order', async () => {
    const { proxy, port } = await fx.echoProxy();
    await proxy.addToxic(toxic('latency', 'upstream', { latency: 20, jitter: 15 }));
    const client = await fx.client(port);
    const sent: string[] = [];
    for (let i = 0; i < 60; i++) {
      sent.push(`<${i}>`);
      client.socket.write(`<${i}>`);
      await sleep(1); // separate writes, so the proxy sees (and delays) separate chunks
    }
    const expected = sent.join('');
    await client.untilReceived(expected.length);
    expect(client.text()).toBe(expected);
  });

  it('updating a toxic applies to open connections', async () => {
    const { proxy, port } = await fx.echoProxy();
    const latency = await proxy.addToxic(toxic('latency', 'downstream', { latency: 0, jitter: 0 }));
    const client = await fx.client(port);
    await latency.update(toxic('latency', 'downstream', { latency: 250, jitter: 0 }));
    const start = performance.now();
    client.socket.write('x');
    await client.untilReceived(1);
    expect(client.firstByteAt! - start).toBeGreaterThanOrEqual(250 - slackMs);
  });

  it('removing a toxic releases the data it held and restores flow', async () => {
    const { proxy, port, upstream } = await fx.echoProxy();
    const latency = await proxy.addToxic(toxic('latency', 'downstream', { latency: 60_000, jitter: 0 }));
    const client = await fx.client(port);
    client.socket.write('held');
    await waitFor(() => upstream.received().length === 4, 'the upstream to echo the bytes');
    await latency.remove();
    // Held for a minute otherwise: arriving within the deadline proves the removal released it.
    await client.untilReceived(4, 20_000);
    expect(client.text()).toBe('held');
    expect((await roundTrip(port, 'again')).text).toBe('again');
  });

  it('timeout drops the data and closes the connection after its timeout', async () => {
    const { proxy, port } = await fx.echoProxy();
    await proxy.addToxic(toxic('timeout', 'downstream', { timeout: 300 }));
    const client = await fx.client(port);
    client.socket.write('lost');
    const ending = await client.untilEnded();
    expect(['end', 'close', 'error']).toContain(ending.kind);
    // The timeout runs from when the proxy set the connection up, which is after the client started connecting.
    expect(client.endedAt! - client.startedAt).toBeGreaterThanOrEqual(300 - slackMs);
    expect(client.received().length).toBe(0);
  });

  it('timeout 0 holds the connection open and passes nothing; new connections flow once it is removed', async () => {
    const { proxy, port, upstream } = await fx.echoProxy();
    const timeout = await proxy.addToxic(toxic('timeout', 'downstream', { timeout: 0 }));
    const client = await fx.client(port);
    client.socket.write('void');
    await waitFor(() => upstream.received().length === 4, 'the upstream to get the bytes');
    await sleep(300); // an observation window: nothing may arrive and the connection must stay open
    expect(client.received().length).toBe(0);
    expect(client.ending).toBeUndefined();
    await timeout.remove();
    expect((await roundTrip(port)).text).toBe('ping');
  });

  it('reset_peer resets the connection (ECONNRESET) on data, after its timeout', async () => {
    const { proxy, port } = await fx.echoProxy();
    await proxy.addToxic(toxic('reset_peer', 'downstream', { timeout: 0 }));
    const first = await fx.client(port);
    first.socket.write('boom');
    expect(await first.untilEnded()).toEqual({ kind: 'error', code: 'ECONNRESET' });
    await proxy.addToxic(toxic('reset_peer', 'upstream', { timeout: 200 }));
    const second = await fx.client(port);
    const start = performance.now();
    second.socket.write('boom');
    expect(await second.untilEnded()).toEqual({ kind: 'error', code: 'ECONNRESET' });
    expect(second.endedAt! - start).toBeGreaterThanOrEqual(200 - slackMs);
  });

  it('limit_data passes exactly its bytes, then closes the connection', async () => {
    const { proxy, port } = await fx.echoProxy();
    await proxy.addToxic(toxic('limit_data', 'downstream', { bytes: 10 }));
    const client = await fx.client(port);
    client.socket.write('0123456789abcdefghij'.repeat(5));
    await client.untilEnded();
    expect(client.text()).toBe('0123456789');
  });

  it('bandwidth limits the rate (5000 bytes at 10 KB/s take at least 450 ms) and delivers every byte', async () => {
    const { proxy, port } = await fx.echoProxy();
    await proxy.addToxic(toxic('bandwidth', 'downstream', { rate: 10 }));
    const client = await fx.client(port);
    const payload = Buffer.alloc(5000, 'b');
    const start = performance.now();
    client.socket.write(payload);
    await client.untilReceived(payload.length);
    expect(performance.now() - start).toBeGreaterThanOrEqual(450);
    expect(client.received().equals(payload)).toBe(true);
  });

  it('slicer delivers every byte, in pieces spaced by its delay', async () => {
    const { proxy, port } = await fx.echoProxy();
    await proxy.addToxic(toxic('slicer', 'downstream', { average_size: 100, size_variation: 10, delay: 5000 }));
    const client = await fx.client(port);
    const payload = Buffer.from(Array.from({ length: 2000 }, (_, i) => 65 + (i % 26)));
    const start = performance.now();
    client.socket.write(payload);
    await client.untilReceived(payload.length);
    expect(client.received().equals(payload)).toBe(true);
    expect(client.reads).toBeGreaterThan(1);
    // At least ceil(2000 / 110) = 19 pieces, so at least 18 gaps of 5 ms.
    expect(performance.now() - start).toBeGreaterThanOrEqual(18 * 5 - slackMs);
  });

  it('slow_close holds the close for its delay while data passes', async () => {
    const upstream = await fx.server((socket) => socket.once('data', () => socket.end('bye')));
    const { proxy, port } = await fx.proxy(upstream.port);
    await proxy.addToxic(toxic('slow_close', 'downstream', { delay: 300 }));
    const client = await fx.client(port);
    const start = performance.now();
    client.socket.write('hi');
    await client.untilReceived(3);
    expect(client.text()).toBe('bye');
    expect(await client.untilEnded()).toEqual({ kind: 'end' });
    expect(client.endedAt! - start).toBeGreaterThanOrEqual(300 - slackMs);
  });

  it('a toxic with toxicity 0 never applies', async () => {
    const { proxy, port } = await fx.echoProxy();
    await proxy.addToxic(toxic('timeout', 'downstream', { timeout: 0 }, { toxicity: 0 }));
    for (let i = 0; i < 10; i++) expect((await roundTrip(port, `n${i}`)).text).toBe(`n${i}`);
  });

  it('disabling a proxy closes its open connections and refuses new ones; enabling restores it', async () => {
    const { proxy, port } = await fx.echoProxy();
    const open = await fx.client(port);
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    await open.untilEnded();
    const refused = new TestClient(port);
    expect(await refused.untilEnded()).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
    await proxy.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
    expect((await roundTrip(port)).text).toBe('ping');
  });
}
