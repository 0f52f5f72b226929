#!/usr/bin/env bash
# Sets up what is missing and runs the embedded default: virt-agent on libvirt's
# test driver with a small node of domains in different states (no hypervisor
# needed) on 127.0.0.1:50051, and virt-controller with a SQLite database on
# 127.0.0.1:50052 feeding that agent as host "host-1". Ctrl-C stops both.
# VIRT_AGENT_DEMO_DIR, VIRT_AGENT_LISTEN and VIRT_CONTROLLER_LISTEN move it;
# VIRT_AGENT_SKIP_SETUP=1 skips setup.sh (the README test runs it that way).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${VIRT_AGENT_SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh

DEMO_DIR=${VIRT_AGENT_DEMO_DIR:-/tmp/virt-agent-demo}
LISTEN=${VIRT_AGENT_LISTEN:-127.0.0.1:50051}
CONTROLLER=${VIRT_CONTROLLER_LISTEN:-127.0.0.1:50052}
mkdir -p "$DEMO_DIR/instances" "$DEMO_DIR/state" "$DEMO_DIR/volumes"
# The node's disks point into the demo directory (instances, and web-1's volume
# vol-1 as a local file), so PowerOn's disk check passes and Destroy with
# destroy_disks has real files to remove.
sed "s#/var/lib/virt-agent/#$DEMO_DIR/#g" examples/test-node.xml > "$DEMO_DIR/node.xml"
for uuid in 11111111-1111-4111-8111-111111111111 22222222-2222-4222-8222-222222222222; do
  mkdir -p "$DEMO_DIR/instances/$uuid"
  [ -f "$DEMO_DIR/instances/$uuid/disk" ] || truncate -s 64M "$DEMO_DIR/instances/$uuid/disk"
done
[ -f "$DEMO_DIR/volumes/volume-1" ] || truncate -s 16M "$DEMO_DIR/volumes/volume-1"

cat <<MSG
virt-agent      on $LISTEN   libvirt test://$DEMO_DIR/node.xml (web-1, db-1, saved-1, paused-1, transient-1)
virt-controller on $CONTROLLER   SQLite $DEMO_DIR/controller.db, host-1 = the agent, soft deletes reclaimed after 120 s
Reflection is on, so grpcurl needs no .proto file:
  grpcurl -plaintext $LISTEN list
  grpcurl -plaintext -d '{"domain":{"name":"web-1"}}' $LISTEN virtagent.v1.HostAgent/GetDomain
  grpcurl -plaintext -d '{"domain":{"name":"web-1"},"timeout_seconds":30}' $LISTEN virtagent.v1.HostAgent/PowerOff
  grpcurl -plaintext -d '{"domain":{"name":"web-1"}}' $LISTEN virtagent.v1.HostAgent/PowerOn
Through the controller (create, soft delete, restore, force delete):
  grpcurl -plaintext -d '{"name":"demo-1","project_id":"p1","host":"host-1","vcpus":1,"memory_mib":256,"domain_xml":"<domain type=\"test\"><name>demo-1</name><memory unit=\"MiB\">256</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>"}' \\
    $CONTROLLER virtcontroller.v1.Controller/CreateInstance        # note the uuid it returns
  grpcurl -plaintext -d '{"uuid":"UUID"}' $CONTROLLER virtcontroller.v1.Controller/DeleteInstance        # soft delete
  grpcurl -plaintext -d '{"uuid":"UUID"}' $CONTROLLER virtcontroller.v1.Controller/RestoreInstance
  grpcurl -plaintext -d '{"uuid":"UUID"}' $CONTROLLER virtcontroller.v1.Controller/ForceDeleteInstance
  grpcurl -plaintext -d '{"project_id":"p1"}' $CONTROLLER virtcontroller.v1.Controller/GetQuotaUsage
Or with the bundled CLI (README "The CLI"):
  node dist/cli/virtctl.js domains
  node dist/cli/virtctl.js stop web-1 --timeout 30
  node dist/cli/virtctl.js agent PowerOn '{"domain":{"name":"web-1"}}'
  node dist/cli/virtctl.js instances list
  node dist/cli/virtctl.js controller ListInstances
Each start begins from the node file again. Logs are JSON lines below.
MSG
node dist/cli/virt-agent.js \
  --listen "$LISTEN" --plaintext-loopback true \
  --libvirt-uri "test://$DEMO_DIR/node.xml" \
  --state-dir "$DEMO_DIR/state" \
  --instances-path "$DEMO_DIR/instances" \
  --nfs-mount-base "$DEMO_DIR/mnt" &
agent=$!
node dist/cli/virt-controller.js \
  --listen "$CONTROLLER" --plaintext-loopback true \
  --db "$DEMO_DIR/controller.db" \
  --agent "host-1=$LISTEN" \
  --reclaim-interval-seconds 120 \
  --reclaim-poll-seconds 10 &
controller=$!
# Stop both on Ctrl-C / SIGTERM, and when either one exits.
trap 'kill -TERM $agent $controller 2>/dev/null; wait' INT TERM EXIT
wait -n $agent $controller
