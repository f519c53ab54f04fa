// Proves an abandoned call fails at once and as indeterminate (the request was sent and may have been processed),
// against a real loopback server that never answers, as a paused leader does.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.ts';
import { ServiceError } from '../errors.ts';
import { listen } from '../http-server.ts';
import { Peer } from '../peer.ts';

describe('Peer', () => {
  let server: Server;
  let received = 0;
  let peer: Peer;

  beforeAll(async () => {
    server = createServer(() => {
      received++; // and never answer
    });
    const port = await listen(server, 0);
    peer = new Peer('silent', `http://127.0.0.1:${port}`, undefined, systemClock());
  });

  afterAll(async () => {
    peer.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('fails an abandoned call as indeterminate once the request is out', async () => {
    const abandon = new AbortController();
    const call = peer.call('POST', '/v1/sessions', { a: 1 }, { timeoutMs: 60_000, signal: abandon.signal });
    const deadline = Date.now() + 5000;
    while (received === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(received).toBe(1);
    abandon.abort();
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ code: 'unavailable', definite: false, message: 'silent: EABANDONED' });
  });
});
