import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests start their own simulator and stores on free ports and temp folders, so files can run in parallel.
    fileParallelism: true,
    // Vitest's default is one worker fewer than the cores: one worker on CI's 2 cores, where most files wait on
    // sockets, child processes, PostgreSQL or Chromium, so two keep both cores busy and CI within its 20 minutes;
    // SNAGSYNC_TEST_WORKERS overrides.
    maxWorkers: Number(process.env.SNAGSYNC_TEST_WORKERS) || Math.max(2, availableParallelism() - 1),
  },
});
