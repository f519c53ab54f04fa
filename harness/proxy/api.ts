// The HTTP API, route for route Toxiproxy 2.x's: same paths, methods, status codes and bodies. Success bodies are
// JSON; errors are `{"error": ..., "status": ...}` followed by a newline, sent as Go's http.Error sends them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyCollection, ProxyInput } from './collection.ts';
import { boolField, expectObject, type JsonObject, parseBody, stringField } from './decode.ts';
import { ApiError, badRequestBody, isApiError } from './errors.ts';
import type { FaultProxy } from './proxy.ts';
import { toxicJson } from './toxic-spec.ts';

// Toxiproxy reads bodies without a limit; ours stops a runaway client at a size no real request comes near.
const bodyMaxBytes = 1 << 20;

type Reply =
  | { status: number; json: unknown }
  | { status: 204 }
  | { status: number; text: string; contentType: string };

type Handler = (params: string[], body: string) => Promise<Reply>;

interface Route {
  pattern: string[];
  methods: Record<string, Handler>;
}

const ok = (json: unknown, status = 200): Reply => ({ status, json });
const noContent = (): Reply => ({ status: 204 });

function proxyBody(body: JsonObject, defaults: ProxyInput): ProxyInput {
  return {
    name: stringField(body, 'name', 'Proxy', defaults.name),
    listen: stringField(body, 'listen', 'Proxy', defaults.listen),
    upstream: stringField(body, 'upstream', 'Proxy', defaults.upstream),
    enabled: boolField(body, 'enabled', 'Proxy', defaults.enabled),
  };
}

function proxyMap(proxies: FaultProxy[]): JsonObject {
  return Object.fromEntries(proxies.map((p) => [p.name, p.toJSON()]));
}

function routes(collection: ProxyCollection, version: string): Route[] {
  const created = { name: '', listen: '', upstream: '', enabled: true };
  return [
    {
      pattern: ['version'],
      methods: {
        GET: async () => ({
          status: 200,
          text: `{"version": "${version}"}\n`,
          contentType: 'application/json;charset=utf-8',
        }),
      },
    },
    {
      pattern: ['reset'],
      methods: {
        POST: async () => {
          await collection.reset();
          return noContent();
        },
      },
    },
    {
      pattern: ['proxies'],
      methods: {
        GET: async () => ok(proxyMap(collection.all())),
        POST: async (_p, body) => {
          const input = proxyBody(expectObject(parseBody(body), 'toxiproxy.Proxy'), created);
          return ok((await collection.add(input)).toJSON(), 201);
        },
      },
    },
    { pattern: ['populate'], methods: { POST: async (_p, body) => populate(collection, body) } },
    {
      pattern: ['proxies', '*'],
      methods: {
        GET: async ([name]) => ok(collection.get(name!).toJSON()),
        POST: async ([name], body) => updateProxy(collection, name!, body),
        PATCH: async ([name], body) => updateProxy(collection, name!, body),
        DELETE: async ([name]) => {
          await collection.remove(name!);
          return noContent();
        },
      },
    },
    {
      pattern: ['proxies', '*', 'toxics'],
      methods: {
        GET: async ([name]) => ok(collection.get(name!).toxics.list().map(toxicJson)),
        POST: async ([name], body) => {
          const proxy = collection.get(name!);
          return ok(toxicJson(proxy.toxics.addFromJson(body)));
        },
      },
    },
    {
      pattern: ['proxies', '*', 'toxics', '*'],
      methods: {
        GET: async ([name, toxic]) => ok(toxicJson(collection.get(name!).toxics.get(toxic!))),
        POST: async ([name, toxic], body) => updateToxic(collection, name!, toxic!, body),
        PATCH: async ([name, toxic], body) => updateToxic(collection, name!, toxic!, body),
        DELETE: async ([name, toxic]) => {
          collection.get(name!).toxics.remove(toxic!);
          return noContent();
        },
      },
    },
  ];
}

async function updateProxy(collection: ProxyCollection, name: string, text: string): Promise<Reply> {
  const proxy = collection.get(name);
  const current = { name, listen: proxy.listen, upstream: proxy.upstream, enabled: proxy.enabled };
  const input = proxyBody(expectObject(parseBody(text), 'toxiproxy.Proxy'), current);
  await proxy.update(input);
  return ok(proxy.toJSON());
}

async function updateToxic(collection: ProxyCollection, name: string, toxic: string, text: string): Promise<Reply> {
  const proxy = collection.get(name);
  return ok(toxicJson(proxy.toxics.updateFromJson(toxic, text)));
}

/** POST /populate answers `{"proxies": [...]}`, and on failure the error fields beside `"proxies": null`. */
async function populate(collection: ProxyCollection, text: string): Promise<Reply> {
  try {
    const parsed = parseBody(text);
    if (!Array.isArray(parsed)) {
      throw badRequestBody(`json: cannot unmarshal ${typeof parsed} into Go value of type []toxiproxy.Proxy`);
    }
    const defaults = { name: '', listen: '', upstream: '', enabled: true };
    const inputs = parsed.map((item) => proxyBody(expectObject(item, 'toxiproxy.Proxy'), defaults));
    const proxies = await collection.populate(inputs);
    return ok({ proxies: proxies.map((p) => p.toJSON()) }, 201);
  } catch (err) {
    const apiErr = isApiError(err) ? err : new ApiError((err as Error).message, 500);
    return ok({ ...apiErr.toJSON(), proxies: null }, apiErr.status);
  }
}

function match(pattern: string[], segments: string[]): string[] | null {
  if (pattern.length !== segments.length) return null;
  const params: string[] = [];
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i] ?? '';
    if (part === '*') {
      if (segment === '') return null;
      params.push(segment);
    } else if (part !== segment) return null;
  }
  return params;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > bodyMaxBytes) {
        reject(badRequestBody(`request body is larger than ${bodyMaxBytes} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  if ('json' in reply) {
    res.writeHead(reply.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(reply.json));
  } else if ('text' in reply) {
    res.writeHead(reply.status, { 'Content-Type': reply.contentType });
    res.end(reply.text);
  } else {
    res.writeHead(204);
    res.end();
  }
}

function sendError(res: ServerResponse, err: ApiError): void {
  send(res, {
    status: err.status,
    text: `${JSON.stringify(err.toJSON())}\n`,
    contentType: 'text/plain; charset=utf-8',
  });
}

export function createApiHandler(collection: ProxyCollection, version: string) {
  const table = routes(collection, version);
  return (req: IncomingMessage, res: ServerResponse): void => {
    // Toxiproxy refuses browsers, so a web page cannot drive it on the user's behalf.
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      send(res, { status: 403, text: 'User agent not allowed\n', contentType: 'text/plain; charset=utf-8' });
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let segments: string[];
    try {
      segments = path.split('/').slice(1).map(decodeURIComponent);
    } catch {
      segments = [];
    }
    for (const route of table) {
      const params = match(route.pattern, segments);
      if (!params) continue;
      const handler = route.methods[req.method ?? 'GET'];
      if (!handler) {
        send(res, { status: 405, text: '', contentType: 'text/plain; charset=utf-8' });
        return;
      }
      // The body is read before taking the collection's turn, so a slow client holds up no one else.
      readBody(req)
        .then((body) => collection.exclusive(() => handler(params, body)))
        .then((reply) => send(res, reply))
        .catch((err: unknown) => sendError(res, isApiError(err) ? err : new ApiError(String(err), 500)));
      return;
    }
    send(res, { status: 404, text: '404 page not found\n', contentType: 'text/plain; charset=utf-8' });
  };
}
