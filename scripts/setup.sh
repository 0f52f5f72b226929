#!/usr/bin/env bash
# Installs what building and running virt-agent needs on Debian 12 with Node 20,
# then the npm dependencies (which compile the libvirt binding) and the
# TypeScript. Idempotent: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libvirt-dev libvirt-clients pkg-config g++ make python3)
# With --test: what the test suites use besides (protoc checks the reflection
# descriptors; libprotobuf-dev carries the well-known .proto files it imports;
# prometheus ships promtool, which checks and unit-tests deploy/'s alert rules
# — only promtool is wanted, its server must not run, see below; postgresql-15
# is the server the store's and controller's tests and the fleet bench run
# their throwaway clusters with, scripts/pg-test-cluster.sh — its packaged
# cluster must not run either).
if [ "${1:-}" = "--test" ]; then APT_PACKAGES+=(protobuf-compiler libprotobuf-dev prometheus postgresql-15); fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "setup: run as root to install apt packages" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  # Maintainer scripts start the services they install (Debian's prometheus
  # starts a server on :9090, through systemd or its init script): a
  # policy-rc.d answering 101 ("forbidden") stops that for this install. One
  # already there (Docker images ship one) is left as it is.
  policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e "$policy" ]; then
    own_policy=1
    printf '#!/bin/sh\n# virt-agent setup.sh: no service starts while it installs packages\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  log=$(mktemp)
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; exit 1
  fi
  rm -f "$log"
  if [ "$own_policy" = 1 ]; then rm -f "$policy"; trap - EXIT; fi
  # Nor at boot: the postinst enabled the server we only wanted promtool from
  # (only when this script installed it; an operator's own Prometheus is theirs).
  if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    deb-systemd-helper disable prometheus.service >/dev/null 2>&1 || true
    update-rc.d prometheus disable >/dev/null 2>&1 || true
  fi
  if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
    deb-systemd-helper disable postgresql.service >/dev/null 2>&1 || true
    update-rc.d postgresql disable >/dev/null 2>&1 || true
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then echo "setup: Node.js >= 20 required, found $(node --version)" >&2; exit 1; fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
# The binding is built by npm's install script; rebuild if it is missing or stale.
if [ ! -f build/Release/virt_libvirt.node ] || [ ! -f build/Release/virt_notify.node ] || [ -n "$(find src/native binding.gyp -newer build/Release/virt_libvirt.node 2>/dev/null)" ]; then
  echo "setup: building the libvirt binding"
  npm run --silent install
fi
if [ ! -d dist ] || [ -n "$(find src -name '*.ts' -newer dist 2>/dev/null | head -1)" ]; then
  echo "setup: compiling TypeScript"
  npx tsc -p tsconfig.json
  touch dist
fi
