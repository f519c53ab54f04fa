import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// Two projects: `unit` (pure logic, fast) and `integration` (*.int.test.ts: real servers and processes).
// Integration files start Redis/Postgres/services, so they run at most two at a time on our 2-core machines.
// `unit` is exported for vitest.mutation.config.ts: Stryker runs the unit tests only.
export const unitProject: TestProjectInlineConfiguration = {
  test: {
    name: 'unit',
    // Vitest 4 needs distinct group orders for projects with different maxWorkers: unit runs first.
    sequence: { groupOrder: 0 },
    include: ['{lib,format,system,harness,workloads,checkers,reports,ci}/**/*.test.ts'],
    exclude: ['**/*.int.test.ts', '**/node_modules/**'],
  },
};

export default defineConfig({
  test: {
    projects: [
      unitProject,
      {
        test: {
          name: 'integration',
          include: ['{lib,format,system,harness,workloads,checkers,reports,ci}/**/*.int.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
