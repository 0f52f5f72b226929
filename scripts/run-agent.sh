#!/usr/bin/env bash
# Sets up what is missing and runs virt-agent on the embedded default: libvirt's
# test driver with a small node of domains in different states (no hypervisor
# needed), listening on 127.0.0.1:50051. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

DEMO_DIR=${VIRT_AGENT_DEMO_DIR:-/tmp/virt-agent-demo}
LISTEN=${VIRT_AGENT_LISTEN:-127.0.0.1:50051}
mkdir -p "$DEMO_DIR/instances" "$DEMO_DIR/state"
# The node's disks point into the demo instances directory, so PowerOn's disk
# check passes and Destroy with destroy_disks has real files to remove.
sed "s#/var/lib/virt-agent/instances#$DEMO_DIR/instances#g" examples/test-node.xml > "$DEMO_DIR/node.xml"
for uuid in 11111111-1111-4111-8111-111111111111 22222222-2222-4222-8222-222222222222; do
  mkdir -p "$DEMO_DIR/instances/$uuid"
  [ -f "$DEMO_DIR/instances/$uuid/disk" ] || truncate -s 64M "$DEMO_DIR/instances/$uuid/disk"
done

cat <<MSG
virt-agent on $LISTEN, libvirt test://$DEMO_DIR/node.xml (domains web-1, db-1, saved-1, paused-1, transient-1).
Call it with grpcurl (reflection is on, no .proto needed):
  grpcurl -plaintext $LISTEN list
  grpcurl -plaintext $LISTEN describe virtagent.v1.HostAgent
  grpcurl -plaintext -d '{"domain":{"name":"web-1"}}' $LISTEN virtagent.v1.HostAgent/GetDomain
  grpcurl -plaintext -d '{"domain":{"name":"web-1"},"timeout_seconds":30}' $LISTEN virtagent.v1.HostAgent/PowerOff
  grpcurl -plaintext -d '{"domain":{"name":"web-1"}}' $LISTEN virtagent.v1.HostAgent/PowerOn
  grpcurl -plaintext -d '{"domain":{"name":"db-1"},"destroy_disks":true}' $LISTEN virtagent.v1.HostAgent/Destroy
Each start begins from the node file again. Logs are JSON lines below.
MSG
exec node dist/cli/virt-agent.js \
  --listen "$LISTEN" \
  --libvirt-uri "test://$DEMO_DIR/node.xml" \
  --state-dir "$DEMO_DIR/state" \
  --instances-path "$DEMO_DIR/instances" \
  --nfs-mount-base "$DEMO_DIR/mnt"
