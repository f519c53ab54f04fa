// How toxic and address bodies are read: Toxiproxy's defaults, its order of checks, and the errors for bad input.
import { describe, expect, it } from 'vitest';
import { formatAddress, parseHostPort } from '../address.ts';
import { ApiError } from '../errors.ts';
import { ToxicCollection } from '../toxic-collection.ts';
import { applyToxicUpdate, completeToxic, readToxicHeader, toxicJson } from '../toxic-spec.ts';

function apiError(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('toxic bodies', () => {
  it('fills Toxiproxy defaults: downstream, toxicity 1, <type>_<stream>, every attribute present', () => {
    const spec = completeToxic(readToxicHeader('{"type": "slicer", "attributes": {"average_size": 8}}'));
    expect(toxicJson(spec)).toEqual({
      attributes: { average_size: 8, size_variation: 0, delay: 0 },
      name: 'slicer_downstream',
      type: 'slicer',
      stream: 'downstream',
      toxicity: 1,
    });
  });

  it('checks in Toxiproxy order: body, stream, type, then (in the collection) the name, then attributes', () => {
    expect(apiError(() => readToxicHeader(''))).toEqual({ status: 400, message: 'bad request body: EOF' });
    expect(apiError(() => readToxicHeader('{"type": "nope", "stream": "up"}')).message).toBe(
      'stream was invalid, can be either upstream or downstream',
    );
    expect(apiError(() => readToxicHeader('{"type": "nope"}'))).toEqual({ status: 400, message: 'invalid toxic type' });
    expect(apiError(() => readToxicHeader('{"type": "latency", "toxicity": "high"}')).message).toBe(
      'bad request body: json: cannot unmarshal string into Go struct field ToxicWrapper.toxicity of type float32',
    );
    const toxics = new ToxicCollection(() => {});
    toxics.addFromJson('{"type": "latency"}');
    expect(apiError(() => toxics.addFromJson('{"type": "latency", "attributes": {"latency": "x"}}'))).toEqual({
      status: 409,
      message: 'toxic already exists',
    });
    expect(
      apiError(() => toxics.addFromJson('{"type": "latency", "name": "b", "attributes": {"latency": "x"}}')),
    ).toEqual({
      status: 400,
      message:
        'bad request body: json: cannot unmarshal string into Go struct field LatencyToxic.attributes.latency of type int64',
    });
    expect(toxics.list().map((t) => t.name)).toEqual(['latency_downstream']);
  });

  it('updates only attributes (merged) and toxicity; null leaves a value as it was', () => {
    const spec = completeToxic(
      readToxicHeader('{"type": "latency", "stream": "upstream", "attributes": {"latency": 9, "jitter": 2}}'),
    );
    const updated = applyToxicUpdate(
      spec,
      '{"name": "other", "stream": "downstream", "attributes": {"jitter": null, "latency": 1}, "toxicity": 0.25}',
    );
    expect(updated).toEqual({ ...spec, toxicity: 0.25, attributes: { latency: 1, jitter: 2 } });
  });

  it('lists upstream toxics before downstream ones, each in the order added', () => {
    const toxics = new ToxicCollection(() => {});
    for (const body of ['{"type":"latency"}', '{"type":"timeout","stream":"upstream"}', '{"type":"slow_close"}']) {
      toxics.addFromJson(body);
    }
    expect(toxics.list().map((t) => t.name)).toEqual([
      'timeout_upstream',
      'latency_downstream',
      'slow_close_downstream',
    ]);
  });
});

describe('addresses', () => {
  it('reads host:port forms and refuses the rest, naming the field', () => {
    expect(parseHostPort('127.0.0.1:0', 'listen')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseHostPort('[::1]:5432', 'upstream')).toEqual({ host: '::1', port: 5432 });
    expect(parseHostPort(':8080', 'listen')).toEqual({ host: '', port: 8080 });
    expect(parseHostPort('', 'listen')).toEqual({ host: '', port: 0 });
    expect(parseHostPort('localhost:6379', 'upstream')).toEqual({ host: 'localhost', port: 6379 });
    for (const bad of ['redis', 'host:99999', 'host:0', ':6379', '::1:5432']) {
      expect(apiError(() => parseHostPort(bad, 'upstream')).message).toMatch(/^bad request body: upstream address/);
    }
  });

  it('prints a bound address the way Go does', () => {
    expect(formatAddress({ address: '127.0.0.1', family: 'IPv4', port: 1 })).toBe('127.0.0.1:1');
    expect(formatAddress({ address: '::', family: 'IPv6', port: 2 })).toBe('[::]:2');
  });
});
