import { describe, expect, it } from 'vitest';
import { Kernel } from '../kernel.ts';
import { type NetworkError, remote, SimNetwork } from '../network.ts';

/** A call from a to b whose server answers `served:<n>` at once; settles to its value or its error code. */
function setup(seed = 1) {
  const kernel = new Kernel(seed);
  const net = new SimNetwork(kernel);
  net.declare('a', 'b');
  const served: number[] = [];
  const call = (n: number, timeoutMs = 1000, signal?: AbortSignal) =>
    net
      .request(
        'a',
        'b',
        `call ${n}`,
        async () => {
          served.push(n);
          return `served:${n}`;
        },
        signal ? { timeoutMs, signal } : { timeoutMs },
      )
      .then(
        (v) => ({ value: v, at: kernel.nowMs() }),
        (e: NetworkError) => ({ error: e.code, at: kernel.nowMs() }),
      );
  return { kernel, net, served, call };
}

describe('SimNetwork', () => {
  it('delivers the requests of one link in the order they were sent, whatever their drawn latency', async () => {
    const { kernel, served, call } = setup(3);
    const calls = Array.from({ length: 50 }, (_, i) => call(i));
    await kernel.run();
    expect(served).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect((await calls[7])!).toMatchObject({ value: 'served:7' });
  });

  it('a timeout link drops the request: nothing is served and the caller waits out its own deadline', async () => {
    const { kernel, net, served, call } = setup();
    await net.cut(['a->b'], ['upstream']);
    const r = call(1, 500);
    await kernel.run();
    expect(await r).toEqual({ error: 'ETIMEDOUT', at: 500 });
    expect(served).toEqual([]);
    expect(net.counts.dropped).toBe(1);
  });

  it('a timeout on the reply link: the request is served, the caller still times out (an indeterminate call)', async () => {
    const { kernel, net, served, call } = setup();
    await net.cut(['a->b'], ['downstream']);
    const r = call(1, 500);
    await kernel.run();
    expect(served).toEqual([1]);
    expect(await r).toEqual({ error: 'ETIMEDOUT', at: 500 });
  });

  it('a reset link fails the call with ECONNRESET before its deadline; a down link refuses it at once', async () => {
    const { kernel, net, served, call } = setup();
    await net.addToxic(['a->b'], { type: 'reset_peer', attributes: { timeout: 100 } }, ['upstream']);
    const reset = call(1, 500);
    await kernel.run();
    expect(await reset).toMatchObject({ error: 'ECONNRESET' });
    expect((await reset).at).toBeLessThan(500);
    await net.heal();
    await net.setEnabled(['a->b'], false);
    const refused = call(2, 500);
    await kernel.run();
    expect(await refused).toMatchObject({ error: 'ECONNREFUSED' });
    expect(served).toEqual([]);
  });

  it('a request to a dead node is reset; a node that dies while serving never answers', async () => {
    const { kernel, call } = setup();
    kernel.kill('b');
    const toDead = call(1, 500);
    await kernel.run();
    expect(await toDead).toMatchObject({ error: 'ECONNRESET' });

    kernel.restart('b');
    const k2 = setup();
    let release: () => void = () => {};
    const slow = k2.net.request(
      'a',
      'b',
      'slow',
      () =>
        new Promise<string>((resolve) => {
          release = () => resolve('late');
        }),
      { timeoutMs: 500 },
    );
    const outcome = slow.then(
      (v) => v,
      (e: NetworkError) => e.code,
    );
    await k2.kernel.run({ untilMs: 10 });
    k2.kernel.kill('b');
    release();
    await k2.kernel.run();
    expect(await outcome).toBe('ETIMEDOUT');
  });

  it("discards a dead caller's reply, and an abandoned call fails at once", async () => {
    const { kernel, served, call } = setup();
    let settled = false;
    void call(1, 500).then(() => {
      settled = true;
    });
    kernel.kill('a');
    await kernel.run();
    expect(served).toEqual([1]);
    expect(settled).toBe(false);

    const fresh = setup();
    const abort = new AbortController();
    const r = fresh.call(2, 500, abort.signal);
    abort.abort();
    await fresh.kernel.run();
    expect(await r).toMatchObject({ error: 'EABANDONED' });
  });

  it('remote() runs each method at the server when the request arrives, on copies of its arguments', async () => {
    const { kernel, net } = setup();
    const store = {
      seen: [] as Array<{ at: number; v: { n: number } }>,
      async put(v: { n: number }) {
        this.seen.push({ at: kernel.nowMs(), v });
        return { stored: v.n };
      },
    };
    const client = remote(net, 'a', 'b', store, 1000);
    const arg = { n: 1 };
    const r = client.put(arg);
    arg.n = 2;
    await kernel.run();
    expect(await r).toEqual({ stored: 1 });
    expect(store.seen[0]!.v).toEqual({ n: 1 });
    expect(store.seen[0]!.at).toBeGreaterThan(0);
  });

  it('a latency toxic delays one direction; heal takes it away', async () => {
    const { kernel, net, call } = setup();
    await net.addToxic(['a->b'], { type: 'latency', attributes: { latency: 100, jitter: 0 } }, ['downstream']);
    const slow = call(1);
    await kernel.run();
    expect((await slow).at).toBeGreaterThanOrEqual(100);
    await net.heal();
    const started = kernel.nowMs();
    const fast = call(2);
    await kernel.run();
    expect((await fast).at - started).toBeLessThan(5);
  });

  it('a paused server takes the request in and answers once resumed', async () => {
    const { kernel, served, call } = setup();
    kernel.pause('b');
    const r = call(1, 10_000);
    kernel.clock('x').setTimeout(() => kernel.resume('b'), 3000);
    await kernel.run();
    expect(served).toEqual([1]);
    expect(await r).toMatchObject({ value: 'served:1' });
    expect((await r).at).toBeGreaterThanOrEqual(3000);
  });

  it('a pause at the next send stops the caller with that message in hand: it leaves, and is served, on resume', async () => {
    const { kernel, served, call } = setup();
    const a = kernel.clock('a');
    const x = kernel.clock('x');
    const calls: Array<ReturnType<typeof call>> = [];
    // a calls at 10 and 2000; the pause is asked for at 5 and lands on the call at 10; a resumes at 1000.
    x.setTimeout(() => kernel.pause('a', { atNextSend: true }), 5);
    a.setTimeout(() => calls.push(call(1, 500)), 10);
    x.setTimeout(() => kernel.resume('a'), 1000);
    a.setTimeout(() => calls.push(call(2, 500)), 2000);
    let servedAt = -1;
    kernel.clock('b').setInterval(() => {
      if (servedAt < 0 && served.length > 0) servedAt = kernel.nowMs();
    }, 1);
    await kernel.run({ untilMs: 3000 });
    expect(served).toEqual([1, 2]);
    expect(servedAt).toBeGreaterThanOrEqual(1000);
    // The caller's deadline came due while it was stopped: it times out, though its message was served.
    expect(await calls[0]).toMatchObject({ error: 'ETIMEDOUT' });
    expect(await calls[1]).toMatchObject({ value: 'served:2' });
  });

  it('a pause at the next send takes effect anyway if the node sends nothing for 50 ms; a resume before it cancels it', async () => {
    const { kernel, served, call } = setup();
    const x = kernel.clock('x');
    x.setTimeout(() => kernel.pause('a', { atNextSend: true }), 0);
    await kernel.run({ untilMs: 49.9 });
    expect(kernel.node('a').paused).toBe(false);
    await kernel.run({ untilMs: 50 });
    expect(kernel.node('a').paused).toBe(true);
    kernel.resume('a');

    x.setTimeout(() => kernel.pause('a', { atNextSend: true }), 0);
    x.setTimeout(() => kernel.resume('a'), 10);
    const r = call(3, 500);
    kernel.clock('a').setTimeout(() => undefined, 0);
    await kernel.run({ untilMs: 400 });
    expect(kernel.node('a').paused).toBe(false);
    expect(served).toEqual([3]);
    expect(await r).toMatchObject({ value: 'served:3' });
  });
});
