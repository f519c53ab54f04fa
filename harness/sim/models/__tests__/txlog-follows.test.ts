// The hash guard of the coordinator database model: the model re-implements our statements, so a change to any file
// it follows fails here until the model has been read against it again and the hash in `follows` updated. A new
// statement in the log's sql/ directory fails too, until the model follows it.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { follows } from '../txlog.ts';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const sqlDir = 'system/session-manager/sql/';

describe('harness/sim/models/txlog.ts follows', () => {
  it.each(Object.entries(follows))('%s unchanged', (file, hash) => {
    const actual = createHash('sha256')
      .update(readFileSync(`${root}${file}`))
      .digest('hex');
    expect(
      actual,
      `${file} changed: re-read it and update harness/sim/models/txlog.ts to match, then its hash in \`follows\` (${actual})`,
    ).toBe(hash);
  });

  it(`follows every file in ${sqlDir}`, () => {
    const onDisk = readdirSync(`${root}${sqlDir}`)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => `${sqlDir}${f}`);
    const unfollowed = onDisk.filter((f) => !(f in follows));
    expect(unfollowed, `new statements: model them in harness/sim/models/txlog.ts and add them to \`follows\``).toEqual(
      [],
    );
  });
});
