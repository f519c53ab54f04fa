// Proves the built-in proxy honours the Toxiproxy 2.x contract (API and toxic effects) by running one suite against
// it and, when one is reachable, against a real Toxiproxy: TOXIPROXY_URL, or a toxiproxy-server binary on PATH.
// A real Toxiproxy must share this machine's loopback (the suite's upstream servers listen on 127.0.0.1).
import { afterAll, beforeAll, describe } from 'vitest';
import { decideProxyBackend, openProxyBackend, type ProxyBackend } from '../backend.ts';
import { apiConformance } from './conformance-api.ts';
import { toxicConformance } from './conformance-toxics.ts';
import { Fixture } from './fixture.ts';
import { startRigProxy } from './rig-proxy-process.ts';

function suite(open: () => Promise<ProxyBackend>): void {
  let backend: ProxyBackend | undefined;
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend?.stop();
  });
  const fx = new Fixture(() => {
    if (!backend) throw new Error('the backend did not start');
    return backend;
  });
  describe('HTTP API', () => apiConformance(fx));
  describe('toxics', () => toxicConformance(fx));
}

describe('conformance: built-in proxy', () => suite(() => openProxyBackend({ kind: 'builtin', seed: 20260101 })));

describe('conformance: `rig proxy` in its own process', () =>
  suite(async () => {
    const rig = await startRigProxy(['--port', '0', '--seed', '20260102']);
    return { kind: 'builtin', url: rig.url, version: '', stop: async () => void (await rig.stop()) };
  }));

const real = decideProxyBackend();
const realLabel =
  real.kind === 'builtin'
    ? 'conformance: real Toxiproxy (skipped: set TOXIPROXY_URL or put toxiproxy-server on PATH to run it)'
    : `conformance: real Toxiproxy via ${real.kind} (${real.why})`;
describe.skipIf(real.kind === 'builtin')(realLabel, () => suite(() => openProxyBackend({ kind: real.kind })));
