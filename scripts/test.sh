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
  # One e2e run per machine at a time: the suite shares the one libvirtd (and
  # restarts it), so a second checkout's run waits here instead of colliding.
  mkdir -p /var/tmp
  exec 8>/var/tmp/virt-agent-e2e-run.lock
  flock 8
  # Only this shell holds the lock: libvirtd and the tests must not inherit it.
  bash scripts/e2e-setup.sh 8>&-
  status=0
  npx vitest run --config vitest.e2e.config.mts 8>&- || status=$?
  bash scripts/e2e-teardown.sh 8>&- || true
  exit "$status"
fi
