#!/usr/bin/env bash
# Print the domain XML of an e2e test guest (see test/e2e/README.md).
#   scripts/e2e-guest-xml.sh NAME [--ignore-acpi] [--panic] [--q35] [--disk PATH]...
# --ignore-acpi  boot with "noacpid": the guest ignores ACPI shutdown requests.
# --panic        an ISA pvpanic device, on_crash=preserve and "unknown_nmi_panic":
#                `virsh inject-nmi NAME` panics the guest kernel, libvirt reports it
#                CRASHED and keeps its QEMU process.
# --q35          machine q35 with PCIe root ports and native PCIe hotplug (ACPI hotplug
#                off): a second detach while the guest has not released the device
#                fails with "already in the process of unplug", as on such hosts.
# --disk PATH    add a virtio disk (vda, vdb, ...; <serial> = that target name);
#                raw/qcow2 file (format from qemu-img info), block device, or
#                iscsi://HOST:PORT/IQN/LUN (QEMU's own iSCSI client).
# The serial console goes to $E2E_DIR/serial/NAME.log (truncated whenever QEMU
# starts, i.e. on start and on restore from a (managed) save).
set -euo pipefail

E2E_DIR=${E2E_DIR:-/var/tmp/virt-agent-e2e}
GUEST_KERNEL=${GUEST_KERNEL:-$E2E_DIR/guest/vmlinuz}
GUEST_INITRD=${GUEST_INITRD:-$E2E_DIR/guest/initrd.img}

usage() { echo "usage: $0 NAME [--ignore-acpi] [--panic] [--q35] [--disk PATH]..." >&2; exit 2; }
esc() { local s=${1//&/&amp;}; s=${s//</&lt;}; s=${s//>/&gt;}; s=${s//\'/&apos;}; printf '%s' "$s"; }

[ $# -ge 1 ] && [ "${1#-}" = "$1" ] || usage
name=$1; shift
cmdline="console=ttyS0"
on_crash=destroy
panic_xml=""
machine=pc
pcie_xml=""
qemu_ns=""
qemu_args=""
disks=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ignore-acpi) cmdline="$cmdline noacpid"; shift ;;
    --panic)
      cmdline="$cmdline unknown_nmi_panic"
      on_crash=preserve
      panic_xml="    <panic model='isa'><address type='isa' iobase='0x505'/></panic>
"
      shift ;;
    --q35)
      machine=q35
      pcie_xml="    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <controller type='pci' index='2' model='pcie-root-port'/>
    <controller type='pci' index='3' model='pcie-root-port'/>
"
      qemu_ns=" xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"
      qemu_args="  <qemu:commandline>
    <qemu:arg value='-global'/>
    <qemu:arg value='ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off'/>
  </qemu:commandline>
"
      shift ;;
    --disk) [ $# -ge 2 ] || usage; disks+=("$2"); shift 2 ;;
    *) usage ;;
  esac
done

serial_log=$E2E_DIR/serial/$name.log
# UUID derived from the name, so re-defining NAME updates it instead of failing.
uuid=$(printf '%s' "$name" | md5sum | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/')
mkdir -p "$E2E_DIR/serial"

disk_xml=""
letters=abcdefghijklmnopqrstuvwxyz
for i in "${!disks[@]}"; do
  dev=vd${letters:$i:1}
  if [[ "${disks[$i]}" =~ ^iscsi://([^/:]+):([0-9]+)/(.+/[0-9]+)$ ]]; then
    disk_xml+="    <disk type='network' device='disk'>
      <driver name='qemu' type='raw'/>
      <source protocol='iscsi' name='$(esc "${BASH_REMATCH[3]}")'>
        <host name='${BASH_REMATCH[1]}' port='${BASH_REMATCH[2]}'/>
      </source>
      <target dev='$dev' bus='virtio'/>
      <serial>$dev</serial>
    </disk>
"
    continue
  fi
  path=$(realpath -m -- "${disks[$i]}")
  fmt=$(qemu-img info -U --output=json -- "$path" 2>/dev/null |
    sed -n 's/^ *"format": *"\([a-z0-9]*\)".*/\1/p' | head -n1) || true
  if [ -z "$fmt" ]; then
    case "$path" in *.qcow2) fmt=qcow2 ;; *) fmt=raw ;; esac
  fi
  if [ -b "$path" ]; then type=block src="dev='$(esc "$path")'"; else type=file src="file='$(esc "$path")'"; fi
  disk_xml+="    <disk type='$type' device='disk'>
      <driver name='qemu' type='$fmt'/>
      <source $src/>
      <target dev='$dev' bus='virtio'/>
      <serial>$dev</serial>
    </disk>
"
done

cat <<EOF
<domain type='qemu'$qemu_ns>
  <name>$(esc "$name")</name>
  <uuid>$uuid</uuid>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='$machine'>hvm</type>
    <kernel>$(esc "$GUEST_KERNEL")</kernel>
    <initrd>$(esc "$GUEST_INITRD")</initrd>
    <cmdline>$cmdline</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>$on_crash</on_crash>
  <devices>
${disk_xml}    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='$(esc "$serial_log")'/>
      <target port='0'/>
    </serial>
    <console type='file'>
      <source path='$(esc "$serial_log")'/>
      <target type='serial' port='0'/>
    </console>
    <memballoon model='none'/>
${panic_xml}${pcie_xml}  </devices>
${qemu_args}</domain>
EOF
