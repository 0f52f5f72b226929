#!/usr/bin/env bash
# Sets up what is missing and runs every test: the fast suite (libvirt test
# driver, in-process), the Debian package check (build, lintian, apt install,
# purge; needs root, skips itself otherwise; VIRT_AGENT_SKIP_PACKAGE=1 skips
# it) and then the end-to-end suite against a real libvirtd with QEMU guests
# (skipped with VIRT_AGENT_SKIP_E2E=1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
npx vitest run
if [ "${VIRT_AGENT_SKIP_PACKAGE:-0}" != "1" ]; then
  bash scripts/package-check.sh
fi
if [ "${VIRT_AGENT_SKIP_E2E:-0}" != "1" ] && [ -f vitest.e2e.config.mts ]; then
  bash scripts/e2e-run.sh
fi
