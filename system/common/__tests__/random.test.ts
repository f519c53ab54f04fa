// The Random port: a seeded one replays the same ids from the same seed and different ids from another, and every
// id, seeded or real, is a well-formed version-4 UUID (the ids' patterns in the contract expect one); a signature's
// nonce comes from the Random it is given.
import { describe, expect, it } from 'vitest';
import { cryptoRandom, seededRandom } from '../random.ts';
import { parseKeyRing, signatureHeaders, signRequest } from '../signing.ts';

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const draw = (r: { uuid(): string }, n: number) => Array.from({ length: n }, () => r.uuid());

describe('seededRandom', () => {
  it('gives the same ids from the same seed', () => {
    expect(draw(seededRandom(7), 50)).toEqual(draw(seededRandom(7), 50));
  });

  it('gives different ids from different seeds, and no id twice in a long run', () => {
    const a = draw(seededRandom(7), 1000);
    const b = draw(seededRandom(8), 1000);
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect(new Set(a).size).toBe(a.length);
  });

  it('makes version-4 UUIDs, as the real one does', () => {
    for (const id of [...draw(seededRandom(0), 200), ...draw(cryptoRandom, 20)]) expect(id).toMatch(uuidV4);
  });

  it('refuses a seed that is not a safe integer', () => {
    expect(() => seededRandom(1.5)).toThrow(/safe integer/);
  });
});

describe('signing nonces', () => {
  it('come from the Random given, so a seeded signer signs the same way twice', () => {
    const ring = parseKeyRing('k1:a-secret-of-16-chars');
    const sign = () => signRequest(ring, 'POST', '/v1/x', '{}', 1000, seededRandom(3));
    expect(sign()).toEqual(sign());
    expect(sign()[signatureHeaders.nonce]).toBe(seededRandom(3).uuid());
  });
});
