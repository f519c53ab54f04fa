import { defineConfig } from 'vitest/config';
import { unitProject } from './vitest.config.ts';

// The config Stryker's Vitest runner loads (stryker.config.mjs): the runner has no --project option, and the
// integration tests start servers, so only the `unit` project is defined here.
export default defineConfig({ test: { projects: [unitProject] } });
