import { defineConfig } from 'vitest/config';
import { unitProject } from './vitest.config.ts';

// The config Stryker's Vitest runner loads (stryker.config.mjs). Only the checkers' own unit tests: issue 30 asks
// whether *they* fail when a checker is wrong, and a whole simulation in harness/ that happens to call a checker
// would both blur that and cost seconds per mutant. The runner has no --project option, so one project is defined.
export default defineConfig({
  test: { projects: [{ test: { ...unitProject.test, include: ['checkers/**/*.test.ts'] } }] },
});
