#!/usr/bin/env bash
# Sets up what is missing and runs every check and test: type checks (src and
# test/), lint (typescript-eslint, import cycles), the contract's checks (buf
# lint, buf breaking, generated types; scripts/proto-check.sh), the fast
# suite (libvirt test driver, in-process; the store contract on SQLite and a
# throwaway PostgreSQL), the controller's suites once more on PostgreSQL
# (VIRT_TEST_DB=postgres), the Debian package check (build,
# lintian, apt install, purge; needs root, skips itself otherwise;
# VIRT_AGENT_SKIP_PACKAGE=1 skips it) and then the end-to-end suite against a
# real libvirtd with QEMU guests (skipped with VIRT_AGENT_SKIP_E2E=1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
npm run --silent typecheck
npm run --silent lint
npm run --silent proto:check
npx vitest run
VIRT_TEST_DB=postgres npx vitest run test/unit/controller- test/integration/controller- test/unit/store-contract
if [ "${VIRT_AGENT_SKIP_PACKAGE:-0}" != "1" ]; then
  bash scripts/package-check.sh
fi
if [ "${VIRT_AGENT_SKIP_E2E:-0}" != "1" ] && [ -f vitest.e2e.config.mts ]; then
  bash scripts/e2e-run.sh
fi
