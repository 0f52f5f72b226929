// Real-guest e2e suite (test/e2e/README.md): the compiled agent process
// against qemu:///system with TCG guests. One file at a time in one forked
// worker (the tests share libvirtd, and one of them restarts it); generous
// timeouts because boots take up to ~13 s on a loaded host.
//   npx vitest run --config vitest.e2e.config.mts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    // Brings libvirtd + the guest image up when needed, rebuilds dist/ when stale.
    globalSetup: ['test/e2e/helpers.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    teardownTimeout: 60_000,
    // A failed real-guest step is not retried: flakiness must show.
    retry: 0,
  },
});
