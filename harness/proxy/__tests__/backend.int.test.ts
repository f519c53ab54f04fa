// Proves the backend choice: the built-in proxy when nothing else is there, an external Toxiproxy when TOXIPROXY_URL
// names one (stood in for here by a second built-in server, which speaks the same API), and a clear error when
// TOXIPROXY_URL names nothing.
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../net/ports.ts';
import { decideProxyBackend, openProxyBackend, toxiproxyServerVersion } from '../backend.ts';
import { startProxyServer } from '../server.ts';

const saved = process.env.TOXIPROXY_URL;
afterEach(() => {
  if (saved === undefined) delete process.env.TOXIPROXY_URL;
  else process.env.TOXIPROXY_URL = saved;
});

describe('proxy backend choice', () => {
  it.skipIf(saved !== undefined || toxiproxyServerVersion() !== undefined)(
    'picks the built-in proxy when there is no TOXIPROXY_URL and no toxiproxy-server, and stop() closes it',
    async () => {
      expect(decideProxyBackend().kind).toBe('builtin');
      const backend = await openProxyBackend({ seed: 3 });
      expect(backend.kind).toBe('builtin');
      expect(backend.version).toMatch(/^2\./);
      const proxies = await new Toxiproxy(backend.url).getAll();
      expect(proxies).toEqual({});
      await backend.stop();
      await expect(fetch(`${backend.url}/version`)).rejects.toThrow();
    },
  );

  it('uses TOXIPROXY_URL as an external backend, and stop() leaves it running', async () => {
    const external = await startProxyServer();
    try {
      process.env.TOXIPROXY_URL = `${external.url}/`;
      expect(decideProxyBackend()).toMatchObject({ kind: 'external' });
      const backend = await openProxyBackend();
      expect(backend).toMatchObject({ kind: 'external', url: external.url, version: external.version });
      await backend.stop();
      expect((await fetch(`${external.url}/version`)).status).toBe(200);
    } finally {
      await external.close();
    }
  });

  it('fails clearly when TOXIPROXY_URL answers nothing', async () => {
    process.env.TOXIPROXY_URL = `http://127.0.0.1:${await freePort()}`;
    await expect(openProxyBackend()).rejects.toThrow(/TOXIPROXY_URL=.* does not answer GET \/version/);
  });
});
