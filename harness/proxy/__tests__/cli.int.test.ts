// Runs `rig proxy` as a user would: it serves the API, a Toxiproxy client drives it (an unknown toxic type is a 400
// and the proxy keeps working, with open connections kept), and SIGTERM closes everything with exit code 0.
// (The whole conformance suite also runs against a `rig proxy` process: conformance.int.test.ts.)
import { spawnSync } from 'node:child_process';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, describe, expect, it } from 'vitest';
import { listenPort, openClient, roundTrip, startServer, toxicBody } from './net-helpers.ts';
import { type RigProxyProcess, startRigProxy } from './rig-proxy-process.ts';

let rig: RigProxyProcess | undefined;
afterAll(async () => {
  await rig?.stop(1000);
});

describe('rig proxy', () => {
  it('serves the Toxiproxy API until SIGTERM, closes its connections, then exits 0', async () => {
    rig = await startRigProxy(['--port', '0', '--seed', '11']);
    expect(rig.output()).toContain('seed 11');
    const echo = await startServer();
    try {
      const proxy = await new Toxiproxy(rig.url).createProxy({
        name: 'echo',
        listen: '127.0.0.1:0',
        upstream: `127.0.0.1:${echo.port}`,
      });
      const port = listenPort(proxy.listen);
      const open = await openClient(port);
      await expect(proxy.addToxic({ type: 'gremlins' } as never)).rejects.toThrow(/status code 400/);
      expect((await roundTrip(port, 'alive')).text).toBe('alive');
      const latency = await proxy.addToxic(toxicBody('latency', 'downstream', { latency: 100 }));
      expect((await roundTrip(port)).elapsedMs).toBeGreaterThanOrEqual(95);
      await latency.remove();
      expect(await rig.stop()).toBe(0);
      expect(rig.output()).toContain('closed every proxy and connection');
      expect(await open.untilEnded()).toBeDefined();
    } finally {
      await echo.close();
    }
  });

  it('exits 2 naming a bad --port', () => {
    const r = spawnSync(process.execPath, ['bin/rig.js', 'proxy', '--port', 'http'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--port must be a whole number from 0 to 65535, got "http"');
  });
});
