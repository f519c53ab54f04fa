// Runs `rig proxy` as a user would: it serves the API, a Toxiproxy client drives it (an unknown toxic type is a 400
// and the proxy keeps working), and SIGTERM closes everything with exit code 0.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, describe, expect, it } from 'vitest';
import { listenPort, roundTrip, startServer, toxicBody, waitFor } from './net-helpers.ts';

let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

describe('rig proxy', () => {
  it('serves the Toxiproxy API until SIGTERM, then exits 0', async () => {
    child = spawn(process.execPath, ['bin/rig.js', 'proxy', '--port', '0', '--seed', '11'], { stdio: 'pipe' });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    await waitFor(() => /at (http:\/\/\S+)/.test(out), 'rig proxy to print its URL', 30_000);
    const url = /at (http:\/\/\S+)/.exec(out)![1]!;
    expect(out).toContain('seed 11');

    const echo = await startServer();
    try {
      const toxiproxy = new Toxiproxy(url);
      const proxy = await toxiproxy.createProxy({
        name: 'echo',
        listen: '127.0.0.1:0',
        upstream: `127.0.0.1:${echo.port}`,
      });
      const port = listenPort(proxy.listen);
      await expect(proxy.addToxic({ type: 'gremlins' } as never)).rejects.toThrow(/status code 400/);
      expect((await roundTrip(port, 'alive')).text).toBe('alive');
      const latency = await proxy.addToxic(toxicBody('latency', 'downstream', { latency: 100 }));
      expect((await roundTrip(port)).elapsedMs).toBeGreaterThanOrEqual(95);
      await latency.remove();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('closed every proxy and connection');
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
