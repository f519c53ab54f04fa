// @ts-check
// `npm run mutation`: StrykerJS over checkers/ against the unit tests. See docs/mutation.md.
// StrykerJS 9.5 (10.x needs Node 22; we declare Node >= 20.6), with no TypeScript checker plugin: it cannot load
// TypeScript 7's API, so mutants that do not type-check run anyway and are killed (or not) by the tests.
// MUTATION_BREAK=<score> makes a total below <score> exit 1 (ci/nightly.sh sets it); unset, no score fails the run.

const breakAt = process.env.MUTATION_BREAK;
if (breakAt !== undefined && !/^\d+(\.\d+)?$/.test(breakAt)) {
  throw new Error(`MUTATION_BREAK must be a score from 0 to 100, got '${breakAt}'`);
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: ['checkers/**/*.ts', '!checkers/**/*.test.ts', '!checkers/__tests__/**', '!checkers/testing/**'],
  // Not copied to the sandboxes: run output, profiles and Vitest's scratch files.
  ignorePatterns: ['store', '.vitest-tmp', '*.cpuprofile'],
  coverageAnalysis: 'perTest',
  // Two test runners for our 2-core machines; Stryker's own process mostly waits on them.
  concurrency: 2,
  // Reruns test only the mutants whose code or covering tests changed since the last run (--force for all).
  incremental: true,
  incrementalFile: 'store/mutation/incremental.json',
  tempDirName: '.stryker-tmp',
  // Stryker rewrites the sandbox's tsconfig.json with TypeScript's API, which TypeScript 7 no longer exports
  // (ts.parseConfigFileTextToJson is not a function). Our tsconfig.json has no extends or references, so the
  // sandbox copy needs no rewrite: point the option at a file that does not exist and Stryker skips it.
  tsconfigFile: 'no-such-tsconfig.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'store/mutation/mutation.html' },
  jsonReporter: { fileName: 'store/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, reportTests: false, reportMutants: false },
  thresholds: { high: 90, low: 85, break: breakAt === undefined ? null : Number(breakAt) },
};
