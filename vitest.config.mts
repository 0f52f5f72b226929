import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    // Builds dist/ once for the tests that spawn the daemons and the CLI; starts
    // one throwaway PostgreSQL cluster for the store's and the controller's tests.
    globalSetup: ['test/helpers/build.ts', 'test/helpers/pg-global.ts'],
    // Test-only Guest calls (snapshots, suspend/resume, ...): not shipped in src/.
    setupFiles: ['test/helpers/guest-extras.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
