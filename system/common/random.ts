// All randomness the services make for themselves (ids and nonces) goes through a Random, so a simulation can
// draw it from a seed and replay it. The real one is Node's CSPRNG: ids must not repeat across processes and
// restarts, which a seed shared by every process would not give. Fault jitter and injected aborts already come
// from the run's seed (faults.ts).
import { randomUUID } from 'node:crypto';
import { Rng } from '../../lib/rng.ts';

export interface Random {
  /** A version-4 UUID, lower-case hex (ids of sessions and transactions, gateway keys, signing nonces). */
  uuid(): string;
}

/** Node's CSPRNG: `randomUUID` draws from a cached buffer, so an id costs no system call. */
export const cryptoRandom: Random = { uuid: () => randomUUID() };

/** A Random that draws everything from `seed`: the same seed gives the same sequence of ids. */
export function seededRandom(seed: number): Random {
  const rng = new Rng(seed);
  const bytes = new Uint8Array(16);
  return {
    uuid() {
      for (let i = 0; i < 16; i += 4) {
        const word = rng.nextU32();
        bytes[i] = word >>> 24;
        bytes[i + 1] = (word >>> 16) & 0xff;
        bytes[i + 2] = (word >>> 8) & 0xff;
        bytes[i + 3] = word & 0xff;
      }
      bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
      bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10 (RFC 9562)
      const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  };
}
