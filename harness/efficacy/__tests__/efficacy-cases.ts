// Shared body of the efficacy tests: runs of the real system (real processes, or the simulation), through the same
// runner as `rig efficacy`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bugCase } from '../matrix.ts';
import { type CaseRun, evaluate } from '../runner.ts';

export function efficacyCases(bugs: string[], mode: 'real' | 'sim' = 'real'): void {
  const store = mkdtempSync(join(tmpdir(), 'rig-efficacy-'));
  const cache = new Map<string, CaseRun>();
  afterAll(() => rmSync(store, { recursive: true, force: true }));
  describe.each(bugs)(`${mode === 'sim' ? 'simulated: ' : ''}planted bug %s`, (bug) => {
    it('is reported by its checker, and the correct system passes the same seeds', { timeout: 600_000 }, async () => {
      const c = bugCase(bug)!;
      const lines: string[] = [];
      const row = await evaluate(
        c,
        { mode, store, env: 'auto', quietS: 8, signal: new AbortController().signal, log: (l) => lines.push(l) },
        cache,
      );
      expect(row.detected, `${bug} not reported by ${c.checker}:\n${lines.join('\n')}`).toBeDefined();
      expect(row.correct.allValid, `correct system accused:\n${lines.join('\n')}`).toBe(true);
    });
  });
}
