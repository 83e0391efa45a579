import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests start their own simulator and stores on free ports and temp folders, so files can run in parallel.
    fileParallelism: true,
  },
});
