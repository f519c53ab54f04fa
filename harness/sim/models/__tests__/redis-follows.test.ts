// The hash guard of the Redis model (DESIGN section 9): the model re-implements our Lua scripts and RedisStore, so
// editing one of them must fail here until the model has been read against it again. Each file's SHA-256 is
// recomputed and compared with the one the model records in `follows`.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { follows } from '../redis.ts';

const root = fileURLToPath(new URL('../../../..', import.meta.url));

describe('the Redis model follows', () => {
  it('names every script of the session manager (a new one needs the model too)', () => {
    const dir = 'system/session-manager/redis';
    const scripts = readdirSync(`${root}${dir}`).filter((f) => f.endsWith('.lua'));
    expect(scripts.length).toBeGreaterThan(0);
    for (const f of scripts) expect(Object.keys(follows)).toContain(`${dir}/${f}`);
  });

  it.each(Object.entries(follows))('%s unchanged', (path, recorded) => {
    const now = createHash('sha256')
      .update(readFileSync(`${root}${path}`))
      .digest('hex');
    if (now !== recorded) {
      expect.fail(
        `${path} changed: re-read it and update harness/sim/models/redis.ts to match, then its hash in \`follows\` ` +
          `(sha256sum ${path})`,
      );
    }
  });
});
