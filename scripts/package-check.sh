#!/usr/bin/env bash
# CI check of the Debian package, on this machine, for real:
#   1. build it (scripts/package-deb.sh) and run lintian: no errors, no warnings
#   2. apt-get install ./virt-agent_*.deb; the commands answer --version/--help;
#      systemd-analyze verify on the installed units; the installed agent and
#      controller serve a call (libvirt's test driver, sockets in a temp dir)
#   3. an operator's `systemctl enable`, then dpkg --purge while something is
#      mounted below /var/lib/virt-agent: the agent's state is kept, the rest goes
#   4. install again, remove (configuration, database and user stay), purge:
#      nothing of the package is left; the system user stays (Debian practice)
# Needs root (it installs and purges a system package); skipped otherwise.
# One run per machine at a time; it refuses to touch a virt-agent package that
# it did not install itself.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s%N)
log() { echo "package-check: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  log "SKIPPED: needs root (it installs and purges the package with apt-get/dpkg)"
  exit 0
fi

mkdir -p /var/tmp
exec 9>/var/tmp/virt-agent-package-check.lock
flock 9
MARK=/var/tmp/virt-agent-package-check.installed   # "the package on this machine is ours"
USER_MARK=/var/tmp/virt-agent-package-check.user   # "the system user was made by a check"

export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -qq -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300)
DPKG_LOCK_WAIT=300

pkg_status() { dpkg-query -W -f='${db:Status-Status}' virt-agent 2>/dev/null || echo not-installed; }
purge() { dpkg --purge virt-agent 2>&1 | sed 's/^/  dpkg: /' >&2; }
if [ "$(pkg_status)" != not-installed ]; then
  [ -f "$MARK" ] || {
    log "SKIPPED: virt-agent is installed on this machine and not by this check; the check would purge it"
    exit 0
  }
  log "purging the package an interrupted check left installed"
  purge
fi
rm -f "$MARK"
if ! getent passwd virt-controller >/dev/null; then touch "$USER_MARK"; fi

missing=()
for p in lintian man-db; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  "${APT[@]}" install --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { "${APT[@]}" update && "${APT[@]}" install --no-install-recommends "${missing[@]}" >/dev/null; }
fi

# 1. Build and lintian.
t0=$(date +%s%N)
deb=$(bash scripts/package-deb.sh | tail -1)
build_ms=$((($(date +%s%N) - t0) / 1000000))
version=$(node -p 'require("./package.json").version')
lint_rc=0
lint_out=$(lintian -I --fail-on error,warning "$deb" 2>&1) || lint_rc=$?
if [ "$lint_rc" -ne 0 ]; then
  grep -v '^I:' <<<"$lint_out" >&2
  fail "lintian reported errors or warnings: fix them, or override one in packaging/deb/lintian-overrides with a comment saying why"
fi
lint_info=$(grep -c '^I:' <<<"$lint_out" || true)
log "lintian: no errors, no warnings ($lint_info informational tags)"

# 2. Install with apt, as an operator would. No Recommends: libvirt-daemon-system
# would start a second libvirtd here, next to the one the e2e suite runs.
touch "$MARK"
"${APT[@]}" install --no-install-recommends "$deb" >/dev/null || fail "apt-get install $deb"
[ "$(pkg_status)" = installed ] || fail "virt-agent is not installed after apt-get install"
for cmd in virt-agent virt-controller virtctl; do
  got=$("$cmd" --version) || fail "$cmd --version exited $?"
  [ "$got" = "$version" ] || fail "$cmd --version printed '$got', expected '$version'"
done
virtctl --help | grep -qF 'stop [options] <domain>' || fail "virtctl --help"
getent passwd virt-controller | grep -q ':/var/lib/virt-controller:/usr/sbin/nologin$' || fail "system user virt-controller"
[ "$(stat -c '%U %a' /var/lib/virt-controller)" = "virt-controller 700" ] || fail "/var/lib/virt-controller owner/mode"
conffiles=$(dpkg-query -W -f='${Conffiles}' virt-agent | awk '{print $1}' | sort | tr '\n' ' ')
[ "$conffiles" = "/etc/virt-agent/agent.json /etc/virt-agent/controller.json " ] || fail "conffiles: $conffiles"
if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify /lib/systemd/system/virt-agent.service /lib/systemd/system/virt-controller.service 2>&1) ||
    fail "systemd-analyze verify of the installed units: $out"
  [ -z "$out" ] || fail "systemd-analyze verify: $out"
else
  log "systemd-analyze not found: installed units not verified"
fi

# The installed daemons serve calls (the production node_modules and both
# native modules load): agent on the test driver, controller on a temp db.
# The agent runs with the unit's capability bounding set and no new privileges,
# as systemd would start it (setpriv, util-linux).
caps=$(sed -n 's/^CapabilityBoundingSet=//p' /lib/systemd/system/virt-agent.service | tr ' ' '\n' |
  sed -n 's/^CAP_\(.*\)/+\1/p' | tr 'A-Z' 'a-z' | paste -sd, -)
[ -n "$caps" ] || fail "no CapabilityBoundingSet= in the installed virt-agent.service"
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
wait_socket() { # path pid — the socket appears, within 30 s, while the daemon lives
  local deadline=$((SECONDS + 30))
  until [ -S "$1" ]; do
    kill -0 "$2" 2>/dev/null || fail "daemon exited before $1 appeared: $(tail -5 "$tmp"/*.log)"
    [ "$SECONDS" -lt "$deadline" ] || fail "$1 did not appear within 30 s"
    sleep 0.1
  done
}
setpriv --no-new-privs --bounding-set "-all,$caps" virt-agent --libvirt-uri test:///default --listen "unix://$tmp/agent.sock" --state-dir "$tmp/state" \
  --instances-path "$tmp/instances" --nfs-mount-base "$tmp/mnt" >"$tmp/agent.log" 2>&1 9>&- &
pids+=($!)
wait_socket "$tmp/agent.sock" "${pids[0]}"
capbnd=$((16#$(awk '/^CapBnd:/ {print $2}' "/proc/${pids[0]}/status")))
bits=0
while ((capbnd)); do bits=$((bits + (capbnd & 1))); capbnd=$((capbnd >> 1)); done
[ "$bits" -eq "$(tr ',' '\n' <<<"$caps" | wc -l)" ] || fail "the agent runs with $bits capabilities in its bounding set, not those of the unit ($caps)"
virtctl --address "unix://$tmp/agent.sock" agent GetHostInfo | grep -q '"libvirt_uri": "test:///default"' ||
  fail "installed agent: GetHostInfo"
virt-controller --db "$tmp/controller.db" --listen "unix://$tmp/controller.sock" \
  --agent "host-1=unix://$tmp/agent.sock" >"$tmp/controller.log" 2>&1 9>&- &
pids+=($!)
wait_socket "$tmp/controller.sock" "${pids[1]}"
virtctl --address "unix://$tmp/controller.sock" controller ListInstances | grep -q '"instances": \[\]' ||
  fail "installed controller: ListInstances"
cleanup
pids=()
trap - EXIT
log "installed: commands answer, units verify, agent and controller serve calls"

# 3. An operator enabled the agent; purge while an NFS share (a tmpfs here)
# is still mounted below the agent's state: that state must be kept.
systemctl enable virt-agent.service >/dev/null 2>&1 || fail "systemctl enable virt-agent"
wants=/etc/systemd/system/multi-user.target.wants/virt-agent.service
[ -L "$wants" ] || fail "systemctl enable made no $wants"
mkdir -p /var/lib/virt-agent/mnt/share /var/lib/virt-controller
echo '{}' >/var/lib/virt-agent/journal.jsonl
touch /var/lib/virt-controller/controller.db
mount -t tmpfs -o size=1m virt-agent-package-check /var/lib/virt-agent/mnt/share || fail "mount a tmpfs"
echo tenant-data >/var/lib/virt-agent/mnt/share/disk
purge
still_mounted=$(awk '$5 == "/var/lib/virt-agent/mnt/share"' /proc/self/mountinfo)
umount /var/lib/virt-agent/mnt/share || true
[ -n "$still_mounted" ] || fail "purge unmounted the share"
[ -f /var/lib/virt-agent/journal.jsonl ] || fail "purge deleted /var/lib/virt-agent although a share was mounted below it"
[ ! -e /var/lib/virt-controller ] || fail "purge kept /var/lib/virt-controller"
[ ! -e "$wants" ] || fail "purge kept $wants"
rm -rf --one-file-system /var/lib/virt-agent
log "purge with a share mounted below /var/lib/virt-agent: state kept, share untouched, the rest removed"

# 4. Install again (the user exists now), remove, purge: nothing is left.
"${APT[@]}" install --no-install-recommends "$deb" >/dev/null || fail "apt-get install $deb (again)"
mkdir -p /var/lib/virt-agent/domains /var/lib/virt-agent/mnt
echo '{}' >/var/lib/virt-agent/journal.jsonl
echo '# edited' >>/etc/virt-agent/agent.json
dpkg --remove virt-agent >/dev/null 2>&1 || fail "dpkg --remove"
[ "$(pkg_status)" = config-files ] || fail "status after remove: $(pkg_status)"
grep -q '# edited' /etc/virt-agent/agent.json || fail "remove lost the edited /etc/virt-agent/agent.json"
[ -d /var/lib/virt-controller ] && [ -f /var/lib/virt-agent/journal.jsonl ] || fail "remove deleted state"
[ ! -e /usr/lib/virt-agent ] || fail "remove kept /usr/lib/virt-agent"
purge
[ "$(pkg_status)" = not-installed ] || fail "status after purge: $(pkg_status)"
left=()
for p in /usr/lib/virt-agent /etc/virt-agent /var/lib/virt-agent /var/lib/virt-controller \
  /lib/systemd/system/virt-agent.service /lib/systemd/system/virt-controller.service \
  /usr/bin/virt-agent /usr/bin/virt-controller /usr/bin/virtctl /usr/share/doc/virt-agent \
  /usr/share/man/man8/virt-agent.8.gz /usr/share/man/man8/virt-controller.8.gz /usr/share/man/man1/virtctl.1.gz \
  /var/lib/systemd/deb-systemd-helper-enabled/virt-agent.service.dsh-also \
  /var/lib/systemd/deb-systemd-helper-enabled/virt-controller.service.dsh-also; do
  [ -e "$p" ] || [ -L "$p" ] && left+=("$p")
done
((${#left[@]} == 0)) || fail "left behind after purge: ${left[*]}"
getent passwd virt-controller >/dev/null || fail "purge removed the system user (Debian keeps system users)"
rm -f "$MARK"
if [ -f "$USER_MARK" ]; then
  deluser --system --quiet virt-controller >/dev/null 2>&1 || true # the check's own leftover, not the package's
  getent group virt-controller >/dev/null && delgroup --system --quiet virt-controller >/dev/null 2>&1 || true
  rm -f "$USER_MARK"
fi
log "remove kept configuration and state; purge left nothing but the system user"

ms=$((($(date +%s%N) - started) / 1000000))
log "OK: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB, built in $((build_ms / 1000)).$(printf '%03d' $((build_ms % 1000))) s); whole check $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
