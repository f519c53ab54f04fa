// The Toxiproxy 2.x HTTP API contract, written once and run against every backend: routes, status codes, bodies,
// defaults, and every error path with its body. Each error test also proves the request changed nothing.
import { expect, it } from 'vitest';
import type { Fixture } from './fixture.ts';
import { listenPort, roundTrip, toxicBody } from './net-helpers.ts';

function expectError(answer: { status: number; json: unknown }, status: number, message: string | RegExp): void {
  expect(answer.status).toBe(status);
  const body = answer.json as { error: string; status: number };
  expect(body.status).toBe(status);
  if (typeof message === 'string') expect(body.error).toBe(message);
  else expect(body.error).toMatch(message);
}

export function apiConformance(fx: Fixture): void {
  it('GET /version answers a 2.x version', async () => {
    const version = await fx.call('GET', '/version');
    expect(version.status).toBe(200);
    const text = (version.json as { version?: string } | undefined)?.version ?? version.text.trim();
    expect(text).toMatch(/^2\./);
  });

  it('POST /proxies answers 201 with the real port when listen asks for port 0, and the proxy carries bytes', async () => {
    const upstream = await fx.server();
    const name = fx.name();
    fx.track(name);
    const body = { name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` };
    const created = await fx.call('POST', '/proxies', body);
    expect(created.status).toBe(201);
    const proxy = created.json as { name: string; listen: string; upstream: string; enabled: boolean; toxics: [] };
    expect(proxy).toMatchObject({ name, upstream: body.upstream, enabled: true, toxics: [] });
    expect(proxy.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(listenPort(proxy.listen)).toBeGreaterThan(0);
    expect((await roundTrip(listenPort(proxy.listen), 'hello')).text).toBe('hello');

    const shown = await fx.call('GET', `/proxies/${name}`);
    expect(shown.status).toBe(200);
    expect(shown.json).toEqual(proxy);
    const all = await fx.call('GET', '/proxies');
    expect((all.json as Record<string, unknown>)[name]).toEqual(proxy);
  });

  it('creates toxics with 200 and Toxiproxy defaults: downstream, toxicity 1, name <type>_<stream>, zeroed attributes', async () => {
    const { proxy } = await fx.echoProxy();
    const created = await fx.call('POST', `/proxies/${proxy.name}/toxics`, {
      type: 'latency',
      attributes: { latency: 5 },
    });
    expect(created.status).toBe(200);
    expect(created.json).toEqual({
      attributes: { latency: 5, jitter: 0 },
      name: 'latency_downstream',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
    });
    const up = await fx.call('POST', `/proxies/${proxy.name}/toxics`, { type: 'timeout', stream: 'upstream' });
    expect(up.json).toMatchObject({ name: 'timeout_upstream', stream: 'upstream', attributes: { timeout: 0 } });
    const list = await fx.call('GET', `/proxies/${proxy.name}/toxics`);
    expect((list.json as Array<{ name: string }>).map((t) => t.name).sort()).toEqual([
      'latency_downstream',
      'timeout_upstream',
    ]);
    const one = await fx.call('GET', `/proxies/${proxy.name}/toxics/latency_downstream`);
    expect(one.json).toEqual(created.json);
  });

  it('updates a toxic by merging attributes, keeping the rest, with POST and PATCH', async () => {
    const { proxy } = await fx.echoProxy();
    const toxic = await proxy.addToxic(
      toxicBody('latency', 'upstream', { latency: 100, jitter: 10 }, { name: 'slow' }),
    );
    const viaClient = await toxic.update({ ...toxic.toJson(), attributes: { latency: 200, jitter: 10 } });
    expect(viaClient.attributes).toEqual({ latency: 200, jitter: 10 });
    const patched = await fx.call('PATCH', `/proxies/${proxy.name}/toxics/slow`, { attributes: { jitter: 3 } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ name: 'slow', stream: 'upstream', attributes: { latency: 200, jitter: 3 } });
    const toxicity = await fx.call('PATCH', `/proxies/${proxy.name}/toxics/slow`, { toxicity: 0.5 });
    expect(toxicity.json).toMatchObject({ toxicity: 0.5, attributes: { latency: 200, jitter: 3 } });
  });

  it('updates a proxy with PATCH, keeping fields it does not name; DELETE answers 204 and frees the port', async () => {
    const { proxy, port } = await fx.echoProxy();
    const disabled = await fx.call('PATCH', `/proxies/${proxy.name}`, { enabled: false });
    expect(disabled.status).toBe(200);
    expect(disabled.json).toMatchObject({ name: proxy.name, listen: proxy.listen, upstream: proxy.upstream });
    expect((disabled.json as { enabled: boolean }).enabled).toBe(false);
    const enabled = await fx.call('POST', `/proxies/${proxy.name}`, { enabled: true });
    expect(enabled.json).toMatchObject({ enabled: true, listen: proxy.listen });
    expect((await roundTrip(port)).text).toBe('ping');
    const deleted = await fx.call('DELETE', `/proxies/${proxy.name}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectError(await fx.call('GET', `/proxies/${proxy.name}`), 404, 'proxy not found');
  });

  it('POST /reset answers 204, re-enables every proxy and removes every toxic', async () => {
    const { proxy, port } = await fx.echoProxy();
    await proxy.addToxic(toxicBody('timeout', 'downstream', { timeout: 0 }));
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    const reset = await fx.call('POST', '/reset');
    expect(reset.status).toBe(204);
    const after = await fx.call('GET', `/proxies/${proxy.name}`);
    expect(after.json).toMatchObject({ enabled: true, toxics: [] });
    expect((await roundTrip(port)).text).toBe('ping');
  });

  it('POST /populate answers 201, creates what is new and keeps a matching proxy untouched', async () => {
    const upstream = await fx.server();
    const [a, b] = [fx.name('pop'), fx.name('pop')];
    fx.track(a);
    fx.track(b);
    const entries = [a, b].map((name) => ({ name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` }));
    const first = await fx.call('POST', '/populate', entries);
    expect(first.status).toBe(201);
    const proxies = (first.json as { proxies: Array<{ name: string; listen: string; enabled: boolean }> }).proxies;
    expect(proxies.map((p) => p.name)).toEqual([a, b]);
    expect(proxies.every((p) => p.enabled && listenPort(p.listen) > 0)).toBe(true);

    const kept = proxies[0]!;
    await fx.call('POST', `/proxies/${a}/toxics`, { type: 'latency', attributes: { latency: 1 } });
    const again = await fx.call('POST', '/populate', [
      { name: a, listen: kept.listen, upstream: `127.0.0.1:${upstream.port}` },
    ]);
    expect(again.status).toBe(201);
    const shown = await fx.call('GET', `/proxies/${a}`);
    expect(shown.json).toMatchObject({ listen: kept.listen, toxics: [{ name: 'latency_downstream' }] });

    const other = await fx.server();
    const replaced = await fx.call('POST', '/populate', [
      { name: a, listen: '127.0.0.1:0', upstream: `127.0.0.1:${other.port}` },
    ]);
    expect(replaced.status).toBe(201);
    expect(await fx.call('GET', `/proxies/${a}`)).toMatchObject({
      json: { upstream: `127.0.0.1:${other.port}`, toxics: [] },
    });

    const c = fx.name('pop');
    fx.track(c);
    const refused = await fx.call('POST', '/populate', [
      { name: c, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` },
      { name: fx.name('pop'), listen: '127.0.0.1:0' },
    ]);
    expectError(refused, 400, 'missing required field: upstream at proxy 2');
    expect((await fx.call('GET', `/proxies/${c}`)).status).toBe(404);
  });

  it('answers 404 for a missing proxy or toxic, with the error body', async () => {
    const { proxy } = await fx.echoProxy();
    const missing = fx.name('missing');
    expectError(await fx.call('GET', `/proxies/${missing}`), 404, 'proxy not found');
    expectError(await fx.call('DELETE', `/proxies/${missing}`), 404, 'proxy not found');
    expectError(await fx.call('PATCH', `/proxies/${missing}`, { enabled: false }), 404, 'proxy not found');
    expectError(await fx.call('GET', `/proxies/${missing}/toxics`), 404, 'proxy not found');
    expectError(await fx.call('POST', `/proxies/${missing}/toxics`, { type: 'latency' }), 404, 'proxy not found');
    expectError(await fx.call('GET', `/proxies/${proxy.name}/toxics/nope`), 404, 'toxic not found');
    expectError(await fx.call('PATCH', `/proxies/${proxy.name}/toxics/nope`, { toxicity: 1 }), 404, 'toxic not found');
    expectError(await fx.call('DELETE', `/proxies/${proxy.name}/toxics/nope`), 404, 'toxic not found');
  });

  it('answers 409 for a duplicate proxy or toxic name and keeps the original', async () => {
    const { proxy, port, upstream } = await fx.echoProxy();
    const dup = await fx.call('POST', '/proxies', { name: proxy.name, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });
    expectError(dup, 409, 'proxy already exists');
    expect(await fx.call('GET', `/proxies/${proxy.name}`)).toMatchObject({
      json: { upstream: `127.0.0.1:${upstream.port}` },
    });
    await fx.call('POST', `/proxies/${proxy.name}/toxics`, { type: 'latency', attributes: { latency: 1 } });
    const again = await fx.call('POST', `/proxies/${proxy.name}/toxics`, {
      type: 'latency',
      attributes: { latency: 9 },
    });
    expectError(again, 409, 'toxic already exists');
    const kept = await fx.call('GET', `/proxies/${proxy.name}/toxics/latency_downstream`);
    expect(kept.json).toMatchObject({ attributes: { latency: 1 } });
    expect((await roundTrip(port)).text).toBe('ping');
  });

  it('answers 400 for bad bodies, missing fields, unknown toxic types and streams, and still works after', async () => {
    const { proxy, port } = await fx.echoProxy();
    const toxics = `/proxies/${proxy.name}/toxics`;
    expectError(await fx.call('POST', '/proxies', '{not json'), 400, /^bad request body/);
    expectError(await fx.call('POST', '/proxies', { upstream: '127.0.0.1:1' }), 400, 'missing required field: name');
    expectError(await fx.call('POST', '/proxies', { name: fx.name() }), 400, 'missing required field: upstream');
    expectError(await fx.call('POST', '/proxies', { name: 7, upstream: '127.0.0.1:1' }), 400, /^bad request body/);
    expectError(await fx.call('PATCH', `/proxies/${proxy.name}`, '{"enabled": '), 400, /^bad request body/);
    expectError(await fx.call('POST', toxics, '{"type": "latency"'), 400, /^bad request body/);
    expectError(await fx.call('POST', toxics, { type: 'gremlins' }), 400, 'invalid toxic type');
    expectError(
      await fx.call('POST', toxics, { type: 'latency', stream: 'sideways' }),
      400,
      'stream was invalid, can be either upstream or downstream',
    );
    expectError(
      await fx.call('POST', toxics, { type: 'latency', attributes: { latency: 'slow' } }),
      400,
      /^bad request body/,
    );
    expectError(
      await fx.call('POST', '/populate', [{ upstream: '127.0.0.1:1' }]),
      400,
      /^missing required field: name/,
    );
    const after = await fx.call('GET', `/proxies/${proxy.name}`);
    expect(after.json).toMatchObject({ enabled: true, toxics: [] });
    expect((await roundTrip(port)).text).toBe('ping');
  });
}
