// Per-test resources for the conformance suites: upstream servers, proxies and clients, all cleaned up after each
// test so that one failure cannot leave a listener or socket behind for the next.
import type { Socket } from 'node:net';
import { Toxiproxy, type Proxy as ToxiproxyProxy } from 'toxiproxy-node-client';
import { afterEach } from 'vitest';
import { listenPort, openClient, startServer, type TestClient, type TestServer } from './net-helpers.ts';

export interface BackendUnderTest {
  url: string;
}

export interface ApiAnswer {
  status: number;
  text: string;
  contentType: string | null;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export class Fixture {
  private servers: TestServer[] = [];
  private clients: TestClient[] = [];
  private proxyNames: string[] = [];
  private counter = 0;

  /** `perTest`: clean up after each test (register at collection time); otherwise call cleanup() yourself. */
  constructor(
    private readonly backend: () => BackendUnderTest,
    perTest = true,
  ) {
    if (perTest) afterEach(() => this.cleanup());
  }

  get url(): string {
    return this.backend().url;
  }

  get toxiproxy(): Toxiproxy {
    return new Toxiproxy(this.url);
  }

  /** A raw API call, for status codes and bodies the client library hides. */
  async call(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const init: RequestInit = { method };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${this.url}${path}`, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, contentType: res.headers.get('content-type'), json };
  }

  async server(onSocket?: (socket: Socket) => void): Promise<TestServer> {
    const server = await startServer(onSocket);
    this.servers.push(server);
    return server;
  }

  /** A name no other test of this run uses. */
  name(prefix = 'proxy'): string {
    this.counter++;
    return `${prefix}_${process.pid}_${this.counter}`;
  }

  /** A proxy on a free port in front of `upstreamPort`, deleted after the test; returns it and its port. */
  async proxy(upstreamPort: number): Promise<{ proxy: ToxiproxyProxy; port: number }> {
    const name = this.name();
    this.proxyNames.push(name);
    const proxy = await this.toxiproxy.createProxy({
      name,
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${upstreamPort}`,
    });
    return { proxy, port: listenPort(proxy.listen) };
  }

  /** Records a proxy created another way (populate, raw calls) so it is deleted after the test. */
  track(name: string): void {
    this.proxyNames.push(name);
  }

  /** An echo server behind a fresh proxy. */
  async echoProxy(): Promise<{ proxy: ToxiproxyProxy; port: number; upstream: TestServer }> {
    const upstream = await this.server();
    return { ...(await this.proxy(upstream.port)), upstream };
  }

  async client(port: number): Promise<TestClient> {
    const client = await openClient(port);
    this.clients.push(client);
    return client;
  }

  async cleanup(): Promise<void> {
    for (const c of this.clients.splice(0)) c.destroy();
    for (const name of this.proxyNames.splice(0)) {
      await fetch(`${this.url}/proxies/${encodeURIComponent(name)}`, { method: 'DELETE' }).catch(() => undefined);
    }
    for (const s of this.servers.splice(0)) await s.close();
  }
}
