#!/usr/bin/env bash
# Undo scripts/e2e-setup.sh at run time: destroy + undefine every "e2e-*"
# domain, then stop the libvirtd (and tgtd/virtlogd, if any) that setup started.
# Idempotent; succeeds when nothing runs. Leaves packages, qemu.conf, the guest
# image and serial logs in place (pass --purge to also delete $E2E_DIR).
set -uo pipefail

E2E_DIR=${E2E_DIR:-/var/tmp/virt-agent-e2e}
LIBVIRT_URI=qemu:///system
purge=0
[ "${1:-}" = --purge ] && purge=1

log() { echo "e2e-teardown: $*" >&2; }

# True while PID exists and is not a zombie (PID 1 here may reap late).
alive() { local st; st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) && [ "${st%% *}" != Z ]; }

# Stop a process by PID: SIGTERM, wait up to $2 s, then SIGKILL.
stop_pid() { # PID TIMEOUT
  local pid=$1 deadline
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$((SECONDS + $2))
  while alive "$pid" && [ $SECONDS -lt "$deadline" ]; do sleep 0.1; done
  if alive "$pid"; then
    log "pid $pid ignored SIGTERM for $2s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 5))
    while alive "$pid" && [ $SECONDS -lt "$deadline" ]; do sleep 0.1; done
  fi
}

stop_pidfile() { # PIDFILE COMM
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 0
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && alive "$pid"; then
    log "stopping $2 (pid $pid)"
    stop_pid "$pid" 20
  fi
  rm -f "$1"
}

# 1. Domains, while libvirtd still answers.
if command -v virsh >/dev/null && timeout 10 virsh -c "$LIBVIRT_URI" version >/dev/null 2>&1; then
  for dom in $(timeout 30 virsh -c "$LIBVIRT_URI" list --all --name 2>/dev/null | grep '^e2e-'); do
    log "removing domain $dom"
    timeout 30 virsh -c "$LIBVIRT_URI" destroy "$dom" >/dev/null 2>&1 || true
    timeout 30 virsh -c "$LIBVIRT_URI" undefine "$dom" --managed-save --snapshots-metadata >/dev/null 2>&1 ||
      timeout 30 virsh -c "$LIBVIRT_URI" undefine "$dom" >/dev/null 2>&1 || true
  done
fi

# 2. Daemons started by setup.
stop_pidfile "$E2E_DIR/libvirtd.pid" libvirtd
stop_pidfile "$E2E_DIR/virtlogd.pid" virtlogd
# tgtd ignores SIGTERM while it has targets: delete them, then shut it down.
tpid=$(cat "$E2E_DIR/tgtd.pid" 2>/dev/null || true)
if [ -n "$tpid" ] && [ "$(cat "/proc/$tpid/comm" 2>/dev/null)" = tgtd ] && alive "$tpid"; then
  for tid in $(timeout 5 tgtadm --lld iscsi --op show --mode target 2>/dev/null |
    sed -n 's/^Target \([0-9]*\): .*/\1/p'); do
    timeout 5 tgtadm --lld iscsi --op delete --mode target --tid "$tid" --force >/dev/null 2>&1 || true
  done
  timeout 5 tgtadm --lld iscsi --op delete --mode system >/dev/null 2>&1 || true
fi
stop_pidfile "$E2E_DIR/tgtd.pid" tgtd

# 3. Leftovers of e2e-* guests when libvirtd was gone or failed to clean up:
#    QEMU processes (they outlive libvirtd), saved images, state and configs.
for p in /proc/[0-9]*; do
  [[ "$(cat "$p/comm" 2>/dev/null)" == qemu-system-* ]] && alive "${p#/proc/}" || continue
  tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- '-name guest=e2e-' || continue
  log "killing leftover QEMU pid ${p#/proc/}"
  stop_pid "${p#/proc/}" 10
done
libvirtd_running=0
for pid in $(pgrep -x libvirtd); do alive "$pid" && libvirtd_running=1; done
if [ "$libvirtd_running" = 0 ]; then
  rm -f /var/lib/libvirt/qemu/save/e2e-*.save /run/libvirt/qemu/e2e-*.xml \
    /run/libvirt/qemu/e2e-*.pid /etc/libvirt/qemu/e2e-*.xml
fi

if [ "$purge" = 1 ]; then
  log "removing $E2E_DIR"
  rm -rf "$E2E_DIR"
fi
exit 0
