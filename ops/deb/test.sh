#!/usr/bin/env bash
# The Debian package for real: builds vmflow-host (ops/deb/build.sh), checks its units with
# `systemd-analyze verify`, installs it with dpkg in a container that boots systemd (Debian 12, on this
# machine's network), gives host ID's agent and relay their settings and principals, and checks that
#   - both units start with systemctl and answer /ready (the agent reaches the host's libvirtd over TLS
#     and Kafka, the relay Kafka), as the user vmflow in the groups the units name;
#   - the hardening holds: no capabilities, no new privileges, a read-only system (where the container
#     lets systemd make mount namespaces; the test says which it could check);
#   - a service killed with SIGKILL is started again by systemd (Restart=on-failure) and is ready again;
#   - a configuration error (exit status 2) is not restarted, and the journal names it;
#   - removing the package stops both.
#   ops/deb/test.sh ID LIBVIRT_ADDRESS [MIGRATION_ADDRESS]
# The stack comes from the environment (KAFKA_BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL, reachable from
# this machine's network), the principals from $VMFLOW_PKI_DIR/agent.ID and relay.ID (ops/compose/pki.sh);
# no other agent of ID may run meanwhile. ops/compose/test.sh runs it on its stack.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

id=${1:?usage: ops/deb/test.sh ID LIBVIRT_ADDRESS [MIGRATION_ADDRESS]}
address=${2:?usage: ops/deb/test.sh ID LIBVIRT_ADDRESS [MIGRATION_ADDRESS]}
migration=${3:-}
pki="${VMFLOW_PKI_DIR:?set VMFLOW_PKI_DIR to the directory of ops/compose/pki.sh}"
: "${KAFKA_BOOTSTRAP_SERVERS:?}" "${SCHEMA_REGISTRY_URL:?}"
export DOCKER_BUILDKIT=0
agent_port=39191 relay_port=39291 relay_listen=37449
c=vmflow-deb-test

docker_ready
deb=$("$VMFLOW_ROOT/ops/deb/build.sh" | tail -1)
docker build -q -f "$VMFLOW_ROOT/ops/deb/systemd.Dockerfile" -t vmflow/systemd-test:local "$VMFLOW_ROOT/ops/deb" > /dev/null \
  || die "building the systemd test image failed"

docker rm -f "$c" > /dev/null 2>&1 || true
trap 'docker rm -f "$c" > /dev/null 2>&1 || true' EXIT
docker run -d --name "$c" --network host --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
  vmflow/systemd-test:local > /dev/null
inside() { docker exec "$c" "$@"; }
deadline=$((SECONDS + 60))
until [[ "$(inside systemctl is-system-running 2> /dev/null)" =~ ^(running|degraded)$ ]]; do
  [ $SECONDS -lt $deadline ] || die "systemd did not come up in the container: $(inside systemctl is-system-running 2>&1)"
  sleep 1
done
say "deb: systemd $(inside systemctl --version | head -1 | cut -d' ' -f2) runs in the container; installing $(basename "$deb")"
docker cp "$deb" "$c:/tmp/vmflow-host.deb"
inside dpkg -i /tmp/vmflow-host.deb > /dev/null || die "dpkg -i vmflow-host failed"
out=$(inside systemd-analyze verify vmflow-agent.service vmflow-relay.service 2>&1) || die "systemd-analyze verify: $out"
[ -z "$out" ] || die "systemd-analyze verify complains: $out"
say "deb: installed; systemd-analyze verify passes on both units"
[ "$(inside systemctl is-enabled vmflow-agent.service)" = enabled ] || die "the package did not enable vmflow-agent"

# the host's settings and principals, as an operator puts them there
for role in agent relay; do
  docker cp "$pki/$role.$id" "$c:/etc/vmflow/pki/$role"
done
inside sh -c 'chown -R root:vmflow /etc/vmflow/pki && chmod -R u=rwX,g=rX,o= /etc/vmflow/pki'
docker exec -i "$c" sh -c "cat > /etc/vmflow/agent.env" <<ENV
KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS
SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL
VMFLOW_KAFKA_TLS_DIR=/etc/vmflow/pki/agent
VMFLOW_AGENT_HOST_ID=$id
VMFLOW_AGENT_LIBVIRT_URI=qemu+tls://$address/system
VMFLOW_AGENT_LIBVIRT_PKI=/etc/vmflow/pki/agent/libvirt
VMFLOW_AGENT_MIGRATION_ADDRESSES=$migration
VMFLOW_AGENT_RELAY_ENDPOINT=127.0.0.1:$relay_listen
VMFLOW_AGENT_RELAY_CERT=/etc/vmflow/pki/relay/cert.pem
VMFLOW_AGENT_MANAGEMENT=127.0.0.1:$agent_port
JAVA_OPTS=-Xmx256m
ENV
docker exec -i "$c" sh -c "cat > /etc/vmflow/relay.env" <<ENV
KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS
SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL
VMFLOW_KAFKA_TLS_DIR=/etc/vmflow/pki/relay
VMFLOW_RELAY_HOST_ID=$id
VMFLOW_RELAY_LISTEN=127.0.0.1:$relay_listen
VMFLOW_RELAY_SOCKET_DIR=/run/libvirt/vmflow-relay
VMFLOW_RELAY_TLS_DIR=/etc/vmflow/pki/relay
VMFLOW_RELAY_MANAGEMENT=127.0.0.1:$relay_port
JAVA_OPTS=-Xmx512m
ENV
inside systemctl start vmflow-relay.service vmflow-agent.service

# ready UNIT PORT: the unit active and its /ready answering (two minutes at most)
ready() {
  local deadline=$((SECONDS + 120))
  until curl -sf "http://127.0.0.1:$2/ready" -o /dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      inside journalctl -u "$1" --no-pager -n 40 >&2 || true
      die "$1 did not answer http://127.0.0.1:$2/ready: $(inside systemctl is-active "$1")"
    fi
    sleep 1
  done
}
ready vmflow-relay.service $relay_port
ready vmflow-agent.service $agent_port
say "deb: vmflow-relay and vmflow-agent started by systemd and ready"

for unit in vmflow-agent vmflow-relay; do
  pid=$(inside systemctl show -p MainPID --value "$unit")
  user=$(inside ps -o user= -p "$pid" | tr -d ' ')
  [ "$user" = vmflow ] || die "$unit runs as '$user', not vmflow"
  status=$(inside cat "/proc/$pid/status")
  grep -q '^CapEff:[[:space:]]*0000000000000000$' <<< "$status" || die "$unit has capabilities: $(grep CapEff <<< "$status")"
  grep -q '^NoNewPrivs:[[:space:]]*1$' <<< "$status" || die "$unit may gain privileges (NoNewPrivs is not 1)"
  # ProtectSystem=strict: the service's root is mounted read-only in its own mount namespace. systemd
  # skips namespaces a container forbids (it says so in the journal), and then so does this check
  root_opts=$(inside awk '$5 == "/" { print $6 }' "/proc/$pid/mountinfo" | tail -1)
  if [[ ",$root_opts," == *,ro,* ]]; then
    protected="a read-only system"
  elif said=$(inside journalctl -u "$unit" --no-pager | grep -o '[A-Za-z]*=yes is configured, but .* namespace setup is prohibited' | head -1); then
    protected="the read-only system not checked: this container forbids the namespaces systemd sandboxes with (it says: \"$said\"), and the service's root is '$root_opts'"
  else
    die "$unit sees its root mounted '$root_opts', not read-only (ProtectSystem=strict)"
  fi
done
groups=$(inside id -nG vmflow)
[[ " $groups " == *" libvirt "* && " $groups " == *" kvm "* ]] || die "vmflow is in '$groups', not libvirt and kvm"
say "deb: both run as vmflow ($groups), with no capabilities, no new privileges; $protected"

before=$(inside systemctl show -p MainPID --value vmflow-agent)
inside kill -9 "$before"
deadline=$((SECONDS + 60))
until now=$(inside systemctl show -p MainPID --value vmflow-agent) && [ "$now" != 0 ] && [ "$now" != "$before" ]; do
  [ $SECONDS -lt $deadline ] || die "systemd did not start vmflow-agent again after a SIGKILL"
  sleep 1
done
ready vmflow-agent.service $agent_port
say "deb: vmflow-agent killed with SIGKILL, started again by systemd ($(inside systemctl show -p NRestarts --value vmflow-agent) restart) and ready"

# a configuration error (exit status 2) is not restarted: systemd leaves the unit failed
inside sh -c 'echo VMFLOW_AGENT_NO_SUCH_SETTING=1 >> /etc/vmflow/agent.env'
inside systemctl restart vmflow-agent
deadline=$((SECONDS + 60))
until [ "$(inside systemctl is-active vmflow-agent 2> /dev/null || true)" = failed ]; do
  [ $SECONDS -lt $deadline ] || die "vmflow-agent with an unknown setting is not failed: $(inside systemctl is-active vmflow-agent 2>&1)"
  sleep 1
done
restarts=$(inside systemctl show -p NRestarts --value vmflow-agent)
sleep 8 # longer than RestartSec
[ "$(inside systemctl is-active vmflow-agent 2> /dev/null || true)" = failed ] && \
  [ "$(inside systemctl show -p NRestarts --value vmflow-agent)" = "$restarts" ] || die "systemd started vmflow-agent again after a configuration error"
inside journalctl -u vmflow-agent --no-pager | grep -q 'VMFLOW_AGENT_NO_SUCH_SETTING' || die "the journal does not name the bad setting"
say "deb: a configuration error leaves vmflow-agent failed, not restarting, the journal naming the setting"

inside dpkg -r vmflow-host > /dev/null
for unit in vmflow-agent vmflow-relay; do
  state=$(inside systemctl is-active "$unit" 2> /dev/null || true)
  [ "$state" != active ] || die "$unit still runs after dpkg -r"
done
say "deb test passed: package installed, units verified, services ready under systemd, hardened, restarted after a kill, stopped on removal"
