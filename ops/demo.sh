#!/usr/bin/env bash
# The README's first command: the main job on the embedded default. Starts everything locally (a real
# Kafka broker and schema registry, two libvirt test hosts in network namespaces, one transport relay
# and one host agent per host, the coordinator), boots the integrity test guest on hostA, and moves it
# between the hosts through the seed's six scenarios and one slow migration that needs several passes,
# one after another, printing every event as it happens; then a summary table (scenario, hosts, time,
# bytes copied, passes, downtime, and the guest's own
# integrity verdict from its serial console: "bad 0" means its memory arrived intact). Needs root
# (network namespaces). Everything is left running; stop it all with ops/demo.sh --stop.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${1:-}" = "--stop" ]; then
  "$VMFLOW_ROOT/ops/coordinator.sh" down || true
  "$VMFLOW_ROOT/ops/agents.sh" down || true
  "$VMFLOW_ROOT/ops/relays.sh" down || true
  pkill -f "incoming tcp:0:49200" 2>/dev/null || true
  "$VMFLOW_ROOT/ops/hosts/down.sh" || true
  "$VMFLOW_ROOT/ops/stack/down.sh"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "the demo makes two hypervisor hosts in network namespaces: run it as root"

"$VMFLOW_ROOT/ops/stack/up.sh"
"$VMFLOW_ROOT/ops/hosts/up.sh" 2 --migration-network
"$VMFLOW_ROOT/ops/relays.sh" up
"$VMFLOW_ROOT/ops/agents.sh" up
"$VMFLOW_ROOT/ops/coordinator.sh" up
# the dashboard's address carries a viewer's token (in the fragment, which no server sees): kept in a
# file only you can read rather than printed where logs and screen recordings would keep it
(umask 077 && echo "$(dashboard_scheme)://127.0.0.1:8080/dashboard#token=$(vmflow_cli token --subject "$(id -un)-demo" --role viewer --ttl-minutes 480)" \
  > "$VMFLOW_HOME/auth/dashboard-url")
say "live dashboard: open the address in $VMFLOW_HOME/auth/dashboard-url (it follows the scenarios as they run;"
say "  it carries a viewer's token for 8 hours; more tokens: ops/vmflow token --role viewer|operator|admin)"
[ "$(dashboard_scheme)" = https ] &&
  say "  the API serves the coordinator's certificate from this stack's CA: trust $VMFLOW_PKI/ca/ca.crt in your browser"
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$VMFLOW_KAFKA_PORT"
export SCHEMA_REGISTRY_URL="$(registry_url)"

guest="demo-$(date +%H%M%S)"
say "booting the test guest $guest on hostA (256 MiB, rewriting a 16 MiB working set)"
xml="$VMFLOW_HOME/guest/$guest.xml" # scenario 4's incoming QEMU is started from it
boot_test_guest "$guest" hostA
serial() { echo "$VMFLOW_HOME/hosts/$1/log/qemu/$guest.serial"; }
echo "hostA's QEMU: $(grep '^hb ' "$(serial hostA)" | tail -1)"
vmflow_cli_ready

declare -a rows
# scenario N TITLE FROM TO ARGS...: one of the seed's scenarios through vmflow, with its events live
scenario() {
  local n=$1 title=$2 from=$3 to=$4
  shift 4
  echo
  say "scenario $n: $title, $guest from $from to $to"
  # agents publish host state every 5 s: the coordinator must know where the guest is now
  sleep 6
  local log="$VMFLOW_HOME/guest/$guest.scenario-$n.log"
  vmflow_cli migrate --guest "$guest" --source "$from" --reason "vmflow demo, scenario $n" "$@" | tee "$log" || true
  local result
  result=$(grep '^result: ' "$log" | sed 's/^result: //')
  rows+=("$n|$title|$from -> $to|$result|$(guest_integrity "$guest" "$to")")
}
scenario 1 "native, managed direct" hostA hostB --destination hostB --flow MANAGED_DIRECT
scenario 2 "native, managed peer-to-peer" hostB hostA --destination hostA --flow MANAGED_PEER_TO_PEER
# QEMU's default max downtime (300 ms) everywhere: the test hosts' QEMU 10 keeps every page over as
# many passes as a migration needs (QEMU 7.2 did not: ops/README.md)
scenario 3 "tunnelled through the vmflow relays, peer-to-peer" hostA hostB --destination hostB \
  --flow MANAGED_PEER_TO_PEER --transport TUNNELLED
scenario 5 "native, peer-to-peer, destination by libvirt URI" hostB hostA \
  --destination-uri "$(libvirt_uri hostA)" --flow MANAGED_PEER_TO_PEER
scenario 6 "tunnelled (libvirt's tunnel), destination by libvirt URI" hostA hostB \
  --destination-uri "$(libvirt_uri hostB)" --flow MANAGED_PEER_TO_PEER --transport TUNNELLED
# a slow link (600 Mbit/s, tc in hostB's namespace): the guest dirties its working set faster than the
# link drains it, so QEMU copies in several passes, and the guest still arrives intact
ip netns exec vmflow-hostB tc qdisc replace dev eth1 root tbf rate 600mbit burst 64kb latency 200ms
scenario 7 "native, peer-to-peer over a 600 Mbit/s link: several passes" hostB hostA --destination hostA \
  --flow MANAGED_PEER_TO_PEER
ip netns exec vmflow-hostB tc qdisc del dev eth1 root
# the seed: a hypervisor that offers encryption itself needs no tunnel. QEMU's own TLS on the native
# stream (libvirt's VIR_MIGRATE_TLS), with each host's certificate from the vmflow PKI
scenario 8 "native, peer-to-peer, encrypted by QEMU's own TLS (--tls)" hostA hostB --destination hostB \
  --flow MANAGED_PEER_TO_PEER --tls
# last: after it the guest runs in a QEMU outside libvirt (only the hypervisors took part)
port=49200 # inside the host's migration port range (49152-49215): outside it, vmflow refuses the URI
"$VMFLOW_ROOT/ops/guest/incoming.sh" hostA "$xml" $port > "$VMFLOW_HOME/guest/$guest.incoming.pid"
scenario 4 "native, unmanaged direct (hypervisor URI)" hostB hostA --flow UNMANAGED_DIRECT \
  --migration-uri "tcp://$(sed -n 's/^migrationAddress=//p' "$VMFLOW_HOME/hosts/hostA/host.properties"):$port"

echo
echo "The seed's six scenarios, a slow multi-pass migration and one on QEMU's TLS, one guest moving between hostA and hostB:"
printf '%-3s %-62s %-16s %-68s %s\n' "#" "scenario" "hosts" "result (time, copied, passes, downtime)" "guest integrity"
printf '%s\n' "${rows[@]}" | sort -t'|' -k1,1n | while IFS='|' read -r n title hosts result integ; do
  printf '%-3s %-62s %-16s %-68s %s\n' "$n" "$title" "$hosts" "$result" "$integ"
done
echo
echo "Everything is still running: ops/vmflow events --follow, ops/vmflow migrate --help, ops/demo.sh --stop"
