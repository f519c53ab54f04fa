// The efficacy matrix and the system's planted-bug catalogue name the same bugs, and every entry is runnable.
import { describe, expect, it } from 'vitest';
import { checkerNames } from '../../../checkers/index.ts';
import { plantedBugs } from '../../../system/common/bugs.ts';
import { workloadByName } from '../../../workloads/index.ts';
import { parseNemeses } from '../../nemesis/index.ts';
import { efficacyMatrix } from '../matrix.ts';

describe('efficacy matrix', () => {
  it('covers exactly the planted bugs the system knows', () => {
    expect(efficacyMatrix.map((c) => c.bug).sort()).toEqual(Object.keys(plantedBugs).sort());
  });

  it('names real checkers, workloads and nemeses', () => {
    for (const c of efficacyMatrix) {
      expect(checkerNames, c.bug).toContain(c.checker);
      expect(workloadByName(c.workload), c.bug).toBeDefined();
      expect(() => parseNemeses(c.nemesis), c.bug).not.toThrow();
      expect(c.seeds.length, c.bug).toBeGreaterThan(0);
    }
  });
});
