// Proves the checkers against stored golden histories with expected verdicts (golden/expected.json), loaded through
// the same loaders as `rig check`: hand-written register classics, Jepsen-shaped random register histories, and
// small session runs with one planted fault each.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyObservations } from '../../format/observations.ts';
import { isRunDir, LoadError, loadHistoryFile, loadRun } from '../../format/run-dir.ts';
import { checkerByName } from '../index.ts';
import { compose } from '../result.ts';

interface Expected {
  verdicts?: Record<string, boolean | 'unknown'>;
  anomalies?: string[];
  ops?: number[];
  warning?: string;
  unreadable?: string;
}

const root = join(import.meta.dirname, 'golden');
const manifest = JSON.parse(readFileSync(join(root, 'expected.json'), 'utf8')) as Record<string, Expected>;

function load(path: string) {
  return isRunDir(path) ? loadRun(path) : { ...loadHistoryFile(path), observations: emptyObservations() };
}

describe('golden histories', () => {
  for (const [name, expected] of Object.entries(manifest)) {
    it(`${name}: ${expected.unreadable ? 'unreadable' : JSON.stringify(expected.verdicts)}`, () => {
      const path = join(root, name);
      if (expected.unreadable) {
        expect(() => load(path)).toThrow(LoadError);
        expect(() => load(path)).toThrow(expected.unreadable);
        return;
      }
      const run = load(path);
      if (expected.warning) expect(run.warnings.join('\n')).toContain(expected.warning);
      const names = Object.keys(expected.verdicts ?? {});
      const result = compose(names.map((n) => checkerByName(n)!)).check(run.history, run.observations, {});
      const verdicts = Object.fromEntries(Object.entries(result.results).map(([n, r]) => [n, r.valid]));
      expect(verdicts).toEqual(expected.verdicts);
      expect([...new Set(result.anomalies.map((a) => a.type))].sort()).toEqual([...(expected.anomalies ?? [])].sort());
      if (expected.ops) expect(result.anomalies[0]?.ops).toEqual(expected.ops);
    });
  }
});
