#!/usr/bin/env bash
# Prepare a real-guest e2e environment: libvirt + QEMU (TCG) without systemd,
# plus a tiny direct-boot guest (Debian cloud kernel + busybox initramfs).
#
# Idempotent: safe to run any number of times. Progress goes to stderr; the
# only stdout output is the final KEY=value block, so callers can do
#   eval "$(scripts/e2e-setup.sh)"
set -euo pipefail

E2E_DIR=${E2E_DIR:-/var/tmp/virt-agent-e2e}
LIBVIRT_URI=qemu:///system
GUEST_DIR=$E2E_DIR/guest
LIBVIRTD_PIDFILE=$E2E_DIR/libvirtd.pid
LIBVIRTD_LOG=$E2E_DIR/libvirtd.log
QEMU_CONF=/etc/libvirt/qemu.conf
LIBVIRTD_START_TIMEOUT=${E2E_LIBVIRTD_START_TIMEOUT:-90}
# Optional iSCSI target (userspace tgtd on loopback) for network-disk tests.
E2E_ISCSI=${E2E_ISCSI:-0}
ISCSI_PORT=${E2E_ISCSI_PORT:-3260}
ISCSI_IQN=iqn.2024-01.org.virt-agent:e2e
ISCSI_LUNS=2 # LUN 1..N, 64 MiB sparse files in $E2E_DIR/iscsi/

PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  qemu-system-x86 qemu-utils busybox-static cpio)
# qemu-block-extra carries QEMU's iSCSI client (block-iscsi.so).
[ "$E2E_ISCSI" = 1 ] && PACKAGES+=(tgt qemu-block-extra)
# Kernel modules loaded by the guest's /init, in dependency order.
# pvpanic + pvpanic-mmio: the ISA pvpanic device (ACPI QEMU0001) tells QEMU about a
# guest kernel panic, so a --panic guest ends CRASHED in libvirt.
GUEST_MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
  virtio_pci virtio_blk evdev button pvpanic pvpanic-mmio)

log() { echo "e2e-setup: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
mkdir -p "$E2E_DIR" "$E2E_DIR/serial"

# Serialise concurrent runs. fd 9 is closed for every background daemon below.
exec 9>"$E2E_DIR/.setup.lock"
flock 9

# ---------------------------------------------------------------- packages
apt_lists_present() { compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; }
apt_update() { log "apt-get update"; apt-get update -qq >&2; }

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  apt_lists_present || apt_update
  inst() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}" >&2; }
  inst || { apt_update; inst; }
fi

# ------------------------------------------------------- libvirt-qemu user
# libvirtd's QEMU driver refuses to initialise without it, even with user=root.
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
  useradd --system -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu

# ---------------------------------------------------------------- qemu.conf
# Run QEMU as root with every host-integration feature that needs systemd,
# cgroup delegation, mount namespaces, xattrs or virtlogd switched off.
BEGIN_MARK='# >>> virt-agent-e2e (managed by scripts/e2e-setup.sh) >>>'
END_MARK='# <<< virt-agent-e2e <<<'
managed_block="$BEGIN_MARK
user = \"root\"
group = \"root\"
dynamic_ownership = 0
remember_owner = 0
security_driver = \"none\"
namespaces = [ ]
cgroup_controllers = [ ]
stdio_handler = \"file\"
$END_MARK"
mkdir -p /etc/libvirt
old_conf=$(cat "$QEMU_CONF" 2>/dev/null || true)
# Drop our previous block and any uncommented line setting one of our keys.
keys='user|group|dynamic_ownership|remember_owner|security_driver|namespaces|cgroup_controllers|stdio_handler'
new_conf=$(printf '%s\n' "$old_conf" |
  sed "\|^$BEGIN_MARK\$|,\|^$END_MARK\$|d" |
  sed -E "/^[[:space:]]*($keys)[[:space:]]*=/d" |
  sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
[ -n "$new_conf" ] && new_conf="$new_conf"$'\n'
new_conf="$new_conf$managed_block"
conf_changed=0
if [ "$new_conf" != "$old_conf" ]; then
  printf '%s\n' "$new_conf" >"$QEMU_CONF.tmp" && mv "$QEMU_CONF.tmp" "$QEMU_CONF"
  conf_changed=1
  log "wrote $QEMU_CONF"
fi

# ---------------------------------------------------------------- libvirtd
# True while PID exists and is not a zombie (PID 1 here may reap late).
alive() { local st; st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) && [ "${st%% *}" != Z ]; }
pid_alive() { # PIDFILE COMM
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && alive "$pid"
}
virsh_ok() { timeout 10 virsh -c "$LIBVIRT_URI" version >/dev/null 2>&1; }

stop_our_libvirtd() {
  local pid deadline
  pid=$(cat "$LIBVIRTD_PIDFILE")
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 20))
  while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$LIBVIRTD_PIDFILE"
}

if pid_alive "$LIBVIRTD_PIDFILE" libvirtd && [ "$conf_changed" = 1 ]; then
  log "qemu.conf changed: restarting libvirtd (running guests survive)"
  stop_our_libvirtd
fi

if pid_alive "$LIBVIRTD_PIDFILE" libvirtd; then
  log "libvirtd already running (pid $(cat "$LIBVIRTD_PIDFILE"))"
elif virsh_ok; then
  log "WARNING: a libvirtd not started by this script answers on $LIBVIRT_URI; using it as is"
else
  rm -f "$LIBVIRTD_PIDFILE"
  log "starting libvirtd (log: $LIBVIRTD_LOG)"
  LIBVIRT_LOG_OUTPUTS="3:file:$LIBVIRTD_LOG" \
    libvirtd --daemon --pid-file "$LIBVIRTD_PIDFILE" \
    </dev/null >>"$LIBVIRTD_LOG" 2>&1 9>&-
fi

t0=$SECONDS
deadline=$((SECONDS + LIBVIRTD_START_TIMEOUT))
until virsh_ok; do
  if [ -e "$LIBVIRTD_PIDFILE" ] && ! pid_alive "$LIBVIRTD_PIDFILE" libvirtd; then
    tail -n 20 "$LIBVIRTD_LOG" >&2 || true
    die "libvirtd exited during start-up"
  fi
  [ $SECONDS -lt $deadline ] || die "libvirtd did not answer within ${LIBVIRTD_START_TIMEOUT}s (see $LIBVIRTD_LOG)"
  sleep 0.1
done
log "libvirt answers on $LIBVIRT_URI ($((SECONDS - t0))s)"

# ------------------------------------------------------------- guest image
# /init of the guest. Every line it prints starts with "virt-agent-e2e: ".
read -r -d '' GUEST_INIT <<'EOF' || true
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin /var/log /var/run
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
M="virt-agent-e2e:"
echo "$M init started"
for m in __MODULES__; do
  insmod "/lib/modules/$m.ko" || echo "$M insmod $m failed"
done
# Keep kernel messages from interleaving with the markers from here on.
dmesg -n 1
if grep -qw noacpid /proc/cmdline; then
  echo "$M acpid disabled"
else
  acpid -f -c /etc/acpi -l /var/log/acpid.log &
  pid=$!
  # Only announce readiness once acpid holds an input event device open.
  n=0
  until ls -l "/proc/$pid/fd" 2>/dev/null | grep -q /dev/input/event; do
    n=$((n + 1)); [ $n -gt 100 ] && { echo "$M acpid not listening"; break; }
    sleep 0.05
  done
  echo "$M acpid started"
fi
scan() { cur=" "; for d in /sys/block/*; do [ -e "$d" ] && cur="$cur${d##*/} "; done; }
# serial= is the disk's <serial> from the domain XML (empty when unset);
# it is remembered so the "removed" line can carry it too.
serial() { s=$(cat "/sys/block/$1/serial" 2>/dev/null); echo "$s" >"/tmp/serial.$1"; }
scan
for n in $cur; do serial "$n"; echo "$M block present $n serial=$s"; done
prev=$cur
echo "$M ready"
while :; do
  sleep 0.2
  scan
  [ "$cur" = "$prev" ] && continue
  for n in $cur; do case "$prev" in *" $n "*) ;; *) serial "$n"; echo "$M block added $n serial=$s" ;; esac; done
  for n in $prev; do case "$cur" in *" $n "*) ;; *) s=$(cat "/tmp/serial.$n"); echo "$M block removed $n serial=$s" ;; esac; done
  prev=$cur
done
EOF
GUEST_INIT=${GUEST_INIT//__MODULES__/${GUEST_MODULES[*]}}
read -r -d '' PWRF_HANDLER <<'EOF' || true
#!/bin/sh
echo "virt-agent-e2e: acpi power button, powering off" >/dev/console
sync
poweroff -f
EOF
build_id=$(printf '%s\n%s\n%s\n' "$GUEST_INIT" "$PWRF_HANDLER" "$(readlink -f /bin/busybox)" | sha256sum | cut -c1-16)

if [ -s "$GUEST_DIR/vmlinuz" ] && [ -s "$GUEST_DIR/initrd.img" ] &&
  [ "$(cat "$GUEST_DIR/build-id" 2>/dev/null)" = "$build_id" ]; then
  log "guest image up to date ($GUEST_DIR)"
else
  log "building guest kernel + initramfs"
  work=$(mktemp -d "$E2E_DIR/guest-build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  kpkg() { apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'; }
  kernel_pkg=$(kpkg)
  [ -n "$kernel_pkg" ] || { apt_update; kernel_pkg=$(kpkg); }
  [ -n "$kernel_pkg" ] || die "cannot resolve linux-image-cloud-amd64"
  log "kernel package: $kernel_pkg"
  (cd "$work" && apt-get download -q "$kernel_pkg" >&2 2>/dev/null) ||
    { apt_update; (cd "$work" && apt-get download -q "$kernel_pkg" >&2); }
  dpkg-deb -x "$work"/"$kernel_pkg"_*.deb "$work/pkg"
  kver=${kernel_pkg#linux-image-}
  moddir=$(ls -d "$work/pkg/lib/modules/"*/ 2>/dev/null | head -n1)
  [ -n "$moddir" ] || die "no modules in $kernel_pkg"

  root=$work/root
  mkdir -p "$root/bin" "$root/dev" "$root/lib/modules" "$root/etc/acpi/PWRF"
  cp /bin/busybox "$root/bin/busybox"
  mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
  printf '%s\n' "$GUEST_INIT" >"$root/init"
  printf '%s\n' "$PWRF_HANDLER" >"$root/etc/acpi/PWRF/00000080"
  chmod 755 "$root/init" "$root/etc/acpi/PWRF/00000080"
  for m in "${GUEST_MODULES[@]}"; do
    f=$(find "$moddir" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -n1)
    [ -n "$f" ] || die "module $m not found in $kernel_pkg"
    case "$f" in
      *.ko.xz) xz -dc "$f" ;;
      *.ko.zst) zstd -qdc "$f" ;;
      *.ko.gz) gzip -dc "$f" ;;
      *) cat "$f" ;;
    esac >"$root/lib/modules/$m.ko"
  done
  (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$work/initrd.img"
  mkdir -p "$GUEST_DIR"
  cp "$work/pkg/boot/vmlinuz-$kver" "$GUEST_DIR/vmlinuz.tmp"
  mv "$GUEST_DIR/vmlinuz.tmp" "$GUEST_DIR/vmlinuz"
  mv "$work/initrd.img" "$GUEST_DIR/initrd.img"
  echo "$kernel_pkg" >"$GUEST_DIR/kernel-package"
  echo "$build_id" >"$GUEST_DIR/build-id"
  rm -rf "$work"
  trap - EXIT
  log "guest image built in $GUEST_DIR"
fi

# ------------------------------------------------------------ iSCSI (opt-in)
if [ "$E2E_ISCSI" = 1 ]; then
  TGTD_PIDFILE=$E2E_DIR/tgtd.pid
  tgt_ok() { timeout 5 tgtadm --lld iscsi --op show --mode sys >/dev/null 2>&1; }
  if pid_alive "$TGTD_PIDFILE" tgtd; then
    log "tgtd already running (pid $(cat "$TGTD_PIDFILE"))"
  else
    tgt_ok && die "a tgtd not started by this script is running; stop it first"
    log "starting tgtd on 127.0.0.1:$ISCSI_PORT"
    tgtd -f --iscsi "portal=127.0.0.1:$ISCSI_PORT" </dev/null >>"$E2E_DIR/tgtd.log" 2>&1 9>&- &
    echo $! >"$TGTD_PIDFILE"
    deadline=$((SECONDS + 15))
    until tgt_ok; do
      pid_alive "$TGTD_PIDFILE" tgtd || die "tgtd exited (see $E2E_DIR/tgtd.log)"
      [ $SECONDS -lt $deadline ] || die "tgtd did not answer within 15s"
      sleep 0.1
    done
  fi
  if ! tgtadm --lld iscsi --op show --mode target | grep -q "^Target 1: $ISCSI_IQN\$"; then
    mkdir -p "$E2E_DIR/iscsi"
    tgtadm --lld iscsi --op new --mode target --tid 1 -T "$ISCSI_IQN"
    for lun in $(seq 1 "$ISCSI_LUNS"); do
      [ -e "$E2E_DIR/iscsi/lun$lun.img" ] || truncate -s 64M "$E2E_DIR/iscsi/lun$lun.img"
      tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun "$lun" -b "$E2E_DIR/iscsi/lun$lun.img"
    done
    tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL
    log "iSCSI target $ISCSI_IQN with LUNs 1..$ISCSI_LUNS"
  fi
fi

cat <<EOF
E2E_DIR=$E2E_DIR
GUEST_KERNEL=$GUEST_DIR/vmlinuz
GUEST_INITRD=$GUEST_DIR/initrd.img
LIBVIRT_URI=$LIBVIRT_URI
EOF
if [ "$E2E_ISCSI" = 1 ]; then
  cat <<EOF
ISCSI_PORTAL=127.0.0.1:$ISCSI_PORT
ISCSI_IQN=$ISCSI_IQN
ISCSI_LUNS=$ISCSI_LUNS
EOF
fi
