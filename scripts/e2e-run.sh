#!/usr/bin/env bash
# Runs the real-guest e2e suite (or the e2e test files given as arguments):
# takes the machine-wide e2e lock, brings libvirtd + the guest image up, runs
# vitest, and tears everything down again, whatever the tests did. One run per
# machine at a time: the suite shares the one libvirtd (and restarts it), so a
# second checkout's run waits for the lock instead of colliding.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p /var/tmp
exec 8>/var/tmp/virt-agent-e2e-run.lock
flock 8
# Only this shell holds the lock: libvirtd and the tests must not inherit it,
# or a daemon left running would hold it after we exit.
status=0
bash scripts/e2e-setup.sh 8>&- >/dev/null || status=$?
if [ "$status" = 0 ]; then
  npx vitest run --config vitest.e2e.config.mts "$@" 8>&- || status=$?
fi
bash scripts/e2e-teardown.sh 8>&- || true
exit "$status"
