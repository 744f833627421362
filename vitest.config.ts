import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tests live in test/; src/ is still searched so that a test put there by mistake runs, not hides.
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'src/**/*.test.ts', 'src/**/*.test.tsx'],
    globalSetup: ['test/support/build.ts'],
    // End-to-end tests spawn the built CLI; two cores, so keep parallelism modest.
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
