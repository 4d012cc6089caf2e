#!/usr/bin/env bash
# docker-compose.yml, for real: builds the images (ops/images/build.sh), brings the compose control plane
# up on ports of its own (Kafka 39092, registry 38081, API 38080, Prometheus 39090), one agent and relay
# pair per test host as separate compose projects (each as a hypervisor host would run it, on the host's
# network), boots the integrity guest on hostA and migrates it with the CLI through the compose
# coordinator's API: native peer-to-peer to hostB, then tunnelled through the relays back to hostA,
# checking the guest's own verdict after each. Then the audit log, read from the topics by the CLI, must
# hold both migrations' timelines, also after the registry's container was recreated (its storage is a
# volume). Then hostA's pair is replaced by the Debian package's units under systemd in a container
# (ops/deb/test.sh). Brings everything down, volumes too, also on failure (VMFLOW_COMPOSE_KEEP=1 leaves it up).
# Needs root, the test hosts (ops/hosts/up.sh 2 --migration-network) and their CA ($VMFLOW_PKI).
# ops/test.sh runs it after the Maven suites.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

for id in hostA hostB; do
  [ -f "$VMFLOW_HOME/hosts/$id/host.properties" ] || die "no test host $id: run ops/hosts/up.sh 2 --migration-network first"
done
prop() { sed -n "s/^$2=//p" "$VMFLOW_HOME/hosts/$1/host.properties"; }

docker_ready
"$VMFLOW_ROOT/ops/images/build.sh"

export VMFLOW_PKI_DIR="$VMFLOW_HOME/compose/pki" VMFLOW_JWT_KEYS="$VMFLOW_HOME/compose/jwt-keys.pem"
export VMFLOW_KAFKA_PORT=39092 VMFLOW_REGISTRY_PORT=38081 VMFLOW_API_PORT=38080 VMFLOW_PROMETHEUS_PORT=39090
export VMFLOW_HOSTS=hostA,hostB VMFLOW_CONTROL_PLANE_ADDRESS=127.0.0.1
# each relay is reached at 127.0.0.1 (its certificate names it)
"$VMFLOW_ROOT/ops/compose/pki.sh" hostA=127.0.0.1 hostB=127.0.0.1

project=vmflow-test
dc() { compose -f "$VMFLOW_ROOT/docker-compose.yml" "$@"; }
guest="compose-$(date +%H%M%S)"
on=""
down() {
  [ "${VMFLOW_COMPOSE_KEEP:-}" = 1 ] && { say "VMFLOW_COMPOSE_KEEP=1: the compose projects stay up"; return; }
  set +e
  [ -n "$on" ] && virsh -q -c "$(admin_uri "$on")" destroy "$guest" > /dev/null 2>&1
  for id in hostA hostB; do dc -p "$project-${id,,}" down -v --remove-orphans > /dev/null 2>&1; done
  dc -p "$project" down -v --remove-orphans > /dev/null 2>&1
  set -e
}
down
trap down EXIT

# healthy CONTAINER...: waits (3 min at most) until docker reports every one healthy
healthy() {
  local c deadline=$((SECONDS + 180))
  for c in "$@"; do
    until [ "$(docker inspect -f '{{.State.Health.Status}}' "$c" 2> /dev/null)" = healthy ]; do
      if [ $SECONDS -ge $deadline ] || [ "$(docker inspect -f '{{.State.Status}}' "$c" 2> /dev/null)" = exited ]; then
        docker logs --tail 40 "$c" >&2 || true
        die "the container $c is not healthy: $(docker inspect -f '{{.State.Status}} {{.State.Health.Status}}' "$c" 2>&1)"
      fi
      sleep 1
    done
  done
}
container() { dc -p "$1" ps -q "$2"; }

say "compose: the control plane (project $project)"
dc -p "$project" up -d kafka-1 registry setup coordinator prometheus
healthy "$(container "$project" kafka-1)" "$(container "$project" registry)" "$(container "$project" coordinator)" \
  "$(container "$project" prometheus)"
[ "$(docker inspect -f '{{.State.ExitCode}}' "$(container "$project" setup)")" = 0 ] || die "compose's setup failed"
i=1
for id in hostA hostB; do
  say "compose: $id's agent and relay (project $project-${id,,}, host network)"
  VMFLOW_HOST_ID=$id VMFLOW_HOST_ADDRESS="$(prop "$id" address)" VMFLOW_MIGRATION_ADDRESS="$(prop "$id" migrationAddress)" \
    VMFLOW_RELAY_ADDRESS=127.0.0.1 VMFLOW_RELAY_PORT=$((37440 + i)) VMFLOW_RELAY_SOCKETS="$(prop "$id" dir)/run/vmflow-relay" \
    VMFLOW_AGENT_MANAGEMENT_PORT=$((39180 + i)) VMFLOW_RELAY_MANAGEMENT_PORT=$((39280 + i)) \
    dc -p "$project-${id,,}" up -d --no-deps relay agent
  healthy "$(container "$project-${id,,}" relay)" "$(container "$project-${id,,}" agent)"
  i=$((i + 1))
done

# the command line on this machine, as the admin, against the compose stack's published ports
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$VMFLOW_KAFKA_PORT"
export SCHEMA_REGISTRY_URL="https://127.0.0.1:$VMFLOW_REGISTRY_PORT/apis/ccompat/v7"
export VMFLOW_COORDINATOR_URL="https://127.0.0.1:$VMFLOW_API_PORT"
export VMFLOW_KAFKA_TLS_DIR="$VMFLOW_PKI/admin.vmflow"
vmflow_cli_ready

say "booting the integrity guest $guest on hostA"
boot_test_guest "$guest" hostA
on=hostA
# migrate FROM TO ARGS...: one migration through the compose coordinator's API; the guest must arrive intact
migrate() {
  local from=$1 to=$2 log="$VMFLOW_HOME/compose/$guest.$1-$2.log" deadline=$((SECONDS + 60))
  shift 2
  # the coordinator places the guest from the agents' host-state records (every 5 s)
  until vmflow_cli hosts 2> /dev/null | grep -q "$guest"; do
    [ $SECONDS -lt $deadline ] || die "the compose coordinator does not see $guest on $from"
    sleep 1
  done
  vmflow_cli migrate --guest "$guest" --source "$from" --destination "$to" --reason "compose test" "$@" 2>&1 | tee "$log"
  grep -q '^result: SUCCEEDED' "$log" || die "the migration $from -> $to through compose did not succeed ($log)"
  on=$to
  local verdict
  verdict=$(guest_integrity "$guest" "$to")
  say "$guest on $to: $verdict"
  [[ "$verdict" == intact* ]] || die "the guest is not intact on $to after the migration through compose: $verdict"
}
migrate hostA hostB --flow MANAGED_PEER_TO_PEER
migrate hostB hostA --flow MANAGED_PEER_TO_PEER --transport TUNNELLED

# audit FILE: the audit log from the topics (not the coordinator's memory) holds both timelines
audit() {
  vmflow_cli list --from-topics --all > "$1"
  [ "$(grep "$guest" "$1" | grep -c SUCCEEDED)" = 2 ] || { cat "$1" >&2; die "the audit log read from the topics lacks the two SUCCEEDED migrations of $guest"; }
}
audit "$VMFLOW_HOME/compose/audit.txt"
say "the audit log holds both migrations; recreating the registry's container (its storage is a volume)"
dc -p "$project" up -d --no-deps --force-recreate registry
healthy "$(container "$project" registry)"
audit "$VMFLOW_HOME/compose/audit-after-registry.txt"
say "compose test passed: images built, stack healthy, native and tunnelled migrations intact, audit log readable after the registry's restart"

# the same host's pair from the Debian package under systemd instead of compose (ops/deb/test.sh)
dc -p "$project-hosta" down -v > /dev/null 2>&1
"$VMFLOW_ROOT/ops/deb/test.sh" hostA "$(prop hostA address)" "$(prop hostA migrationAddress)"
