// Proves the participant model (harness/sim/models/participant.ts) was last checked against the files it follows as they
// are now: each file's SHA-256 is recomputed and compared with the one the model names. A changed statement or
// adapter fails here until the model has been read against it again.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { follows } from '../participant.ts';

const sha256Of = (repoPath: string) =>
  createHash('sha256')
    .update(readFileSync(new URL(`../../../../${repoPath}`, import.meta.url)))
    .digest('hex');

describe('participant model follows', () => {
  it('names at least the statements of the core and both domains', () => {
    const names = Object.keys(follows);
    for (const f of [
      'system/participant/sql/txn_insert_committed.sql',
      'system/resource-manager/sql/reserve_cell.sql',
      'system/billing/sql/adjust_hold.sql',
    ]) {
      expect(names).toContain(f);
    }
  });

  for (const [file, hash] of Object.entries(follows)) {
    it(`${file} is as the model last read it`, () => {
      const now = sha256Of(file);
      if (now !== hash) {
        throw new Error(
          `${file} changed: re-read it and update harness/sim/models/participant.ts (or harness/sim/models/domains.ts) to match, ` +
            `then its hash in follows (${now})`,
        );
      }
    });
  }
});
