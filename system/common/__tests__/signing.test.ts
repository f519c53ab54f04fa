// Proves the trust boundary refuses every kind of bad request with its stable code, and accepts rotated keys.
import { describe, expect, it } from 'vitest';
import { isServiceError } from '../errors.ts';
import { parseKeyRing, signatureHeaders, signRequest, Verifier } from '../signing.ts';

const ring = parseKeyRing('k1:0123456789abcdef0123,k2:fedcba9876543210fedc');
const now = 1_700_000_000_000;
const body = Buffer.from('{"a":1}');

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isServiceError(err) ? err.code : `unexpected: ${(err as Error).message}`;
  }
}

function verifier(max = 1000) {
  return new Verifier(ring, { windowMs: 30_000, nonceCacheMax: max });
}

describe('request signing', () => {
  it('accepts a correctly signed request once, then refuses its replay', () => {
    const v = verifier();
    const headers = signRequest(ring, 'POST', '/v1/x', body, now);
    expect(v.verify('POST', '/v1/x', headers, body, now + 5)).toBe('k1');
    expect(code(() => v.verify('POST', '/v1/x', headers, body, now + 6))).toBe('replayed_nonce');
  });

  it('refuses unsigned, malformed, unknown-key, tampered and stale requests with distinct codes', () => {
    const v = verifier();
    const h = signRequest(ring, 'POST', '/v1/x', body, now);
    expect(code(() => v.verify('POST', '/v1/x', {}, body, now))).toBe('unsigned');
    expect(code(() => v.verify('POST', '/v1/x', { ...h, [signatureHeaders.timestamp]: 'soon' }, body, now))).toBe(
      'malformed_signature',
    );
    expect(code(() => v.verify('POST', '/v1/x', { ...h, [signatureHeaders.keyId]: 'k9' }, body, now))).toBe(
      'unknown_key',
    );
    expect(code(() => v.verify('POST', '/v1/x', h, Buffer.from('{"a":2}'), now))).toBe('bad_signature');
    expect(code(() => v.verify('POST', '/v1/y', h, body, now))).toBe('bad_signature');
    expect(code(() => v.verify('GET', '/v1/x', h, body, now))).toBe('bad_signature');
    expect(code(() => v.verify('POST', '/v1/x', h, body, now + 31_000))).toBe('stale_timestamp');
    expect(code(() => v.verify('POST', '/v1/x', h, body, now - 31_000))).toBe('stale_timestamp');
  });

  it('accepts requests signed with any key of the ring (rotation)', () => {
    const rotated = parseKeyRing('k1:0123456789abcdef0123,k2:fedcba9876543210fedc', 'k2');
    const h = signRequest(rotated, 'GET', '/p', '', now);
    expect(verifier().verify('GET', '/p', h, Buffer.alloc(0), now)).toBe('k2');
  });

  it('never lets an evicted nonce be replayed when the cache is full', () => {
    const v = verifier(1000);
    const first = signRequest(ring, 'POST', '/v1/x', body, now);
    v.verify('POST', '/v1/x', first, body, now);
    for (let i = 1; i <= 1000; i++)
      v.verify('POST', '/v1/x', signRequest(ring, 'POST', '/v1/x', body, now + i), body, now + i);
    expect(code(() => v.verify('POST', '/v1/x', first, body, now + 1001))).toMatch(/replayed_nonce|stale_timestamp/);
  });

  it('rejects key rings that are empty or have short secrets', () => {
    expect(() => parseKeyRing('')).toThrow(/no HMAC keys/);
    expect(() => parseKeyRing('k1:short')).toThrow(/at least 16/);
    expect(() => parseKeyRing('k1:0123456789abcdef0123', 'k2')).toThrow(/signing key "k2"/);
  });
});
