#!/usr/bin/env bash
# The README's first command: the main job on the embedded default. Starts everything locally (a real
# Kafka broker and schema registry, two libvirt test hosts in network namespaces, one host agent per
# host, the coordinator), boots the integrity test guest on hostA, asks vmflow to live-migrate it to
# hostB, and prints every event of the migration as it happens; then shows the guest's own heartbeat
# printed by hostB's QEMU ("bad 0": its memory arrived intact). Needs root (network namespaces).
# Everything is left running for a look around; stop it all with ops/demo.sh --stop.
# DEMO_FLOW=MANAGED_DIRECT|MANAGED_PEER_TO_PEER (default MANAGED_PEER_TO_PEER).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${1:-}" = "--stop" ]; then
  "$VMFLOW_ROOT/ops/coordinator.sh" down || true
  "$VMFLOW_ROOT/ops/agents.sh" down || true
  "$VMFLOW_ROOT/ops/hosts/down.sh" || true
  "$VMFLOW_ROOT/ops/stack/down.sh"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "the demo makes two hypervisor hosts in network namespaces: run it as root"

"$VMFLOW_ROOT/ops/stack/up.sh"
"$VMFLOW_ROOT/ops/hosts/up.sh" 2 --migration-network
"$VMFLOW_ROOT/ops/agents.sh" up
"$VMFLOW_ROOT/ops/coordinator.sh" up
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$VMFLOW_KAFKA_PORT"
export SCHEMA_REGISTRY_URL="http://127.0.0.1:$VMFLOW_REGISTRY_PORT/apis/ccompat/v7"

guest="demo-$(date +%H%M%S)"
say "booting the test guest $guest on hostA (256 MiB, rewriting a 16 MiB working set)"
xml="$VMFLOW_HOME/guest/$guest.xml"
"$VMFLOW_ROOT/ops/guest/xml.sh" "$guest" 256 ws=16 > "$xml"
virsh -q -c qemu+tcp://10.250.0.1/system create "$xml" > /dev/null
serial_a="$VMFLOW_HOME/hosts/hostA/log/qemu/$guest.serial"
serial_b="$VMFLOW_HOME/hosts/hostB/log/qemu/$guest.serial"
deadline=$((SECONDS + 60))
until grep -q '^hb ' "$serial_a" 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || die "the guest printed no heartbeat on hostA within 60 s ($serial_a)"
  sleep 0.5
done
echo "hostA's QEMU: $(grep '^hb ' "$serial_a" | tail -1)"
# the agents publish host state every 5 s: wait until the coordinator can know the guest is there
sleep 6

echo
say "asking vmflow to migrate $guest from hostA to hostB (${DEMO_FLOW:-MANAGED_PEER_TO_PEER}); events as they happen:"
vmflow_cli_ready
# no bandwidth cap: under TCG, QEMU 7.2 loses dirty pages in capped migrations (ops/README.md)
vmflow_cli migrate --guest "$guest" --source hostA --destination hostB --flow "${DEMO_FLOW:-MANAGED_PEER_TO_PEER}" \
  --reason "vmflow demo"
echo
deadline=$((SECONDS + 30))
until [ "$(grep -c '^hb ' "$serial_b" 2>/dev/null || echo 0)" -ge 2 ]; do
  [ $SECONDS -lt $deadline ] || die "no heartbeat from the guest on hostB ($serial_b)"
  sleep 0.5
done
echo "hostB's QEMU now runs $guest: $(grep '^hb ' "$serial_b" | tail -1)"
echo
echo "Everything is still running: ops/vmflow events --follow, ops/vmflow migrate --help, ops/demo.sh --stop"
