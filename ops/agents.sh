#!/usr/bin/env bash
# Starts (or stops) one host agent per test host made by ops/hosts/up.sh, each in its own JVM, with
# logs in $VMFLOW_HOME/agents/<id>.log and management ports 9181, 9182, ...
#   ops/agents.sh up | down
# Needs the stack (ops/stack/up.sh) and the hosts (ops/hosts/up.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

AGENTS_DIR="$VMFLOW_HOME/agents"

case "${1:-}" in
  up)
    require_java
    build_if_stale host-agent-service "the host agent"
    mkdir -p "$AGENTS_DIR"
    grant_hosts
    port=9181
    found=0
    for props in "$VMFLOW_HOME"/hosts/*/host.properties; do
      [ -f "$props" ] || continue
      found=1
      id=$(sed -n 's/^id=//p' "$props")
      if pid_alive "$AGENTS_DIR/$id.pid"; then
        say "$id: agent already running (pid $(cat "$AGENTS_DIR/$id.pid"))"
      else
        say "$id: starting its agent (log $AGENTS_DIR/$id.log, management http://127.0.0.1:$port)"
        relay_env=()
        if [ -f "$VMFLOW_HOME/relays/$id.endpoint" ]; then
          # this host runs a transport relay (ops/relays.sh): tunnelled migrations go through it
          relay_env=(VMFLOW_AGENT_RELAY_ENDPOINT="$(cat "$VMFLOW_HOME/relays/$id.endpoint")"
                     VMFLOW_AGENT_RELAY_CERT="$VMFLOW_PKI/relay.$id/cert.pem")
        fi
        start_service "the agent of $id" "$AGENTS_DIR/$id" host-agent-service io.vmflow.agent.Main \
          "http://127.0.0.1:$port/ready" "${relay_env[@]}" "$(kafka_principal agent "$id")" \
          VMFLOW_AGENT_HOST_ID="$id" \
          VMFLOW_AGENT_LIBVIRT_URI="$(sed -n 's/^libvirtUri=//p' "$props")" \
          VMFLOW_AGENT_LIBVIRT_PKI="$(agent_libvirt_pki "$id" "$props")" \
          VMFLOW_AGENT_MIGRATION_ADDRESSES="$(sed -n 's/^migrationAddress=//p' "$props")" \
          VMFLOW_AGENT_MANAGEMENT="127.0.0.1:$port" \
          VMFLOW_AGENT_PROGRESS_INTERVAL_MS="${VMFLOW_AGENT_PROGRESS_INTERVAL_MS:-250}"
      fi
      port=$((port + 1))
    done
    [ $found -eq 1 ] || die "no test hosts under $VMFLOW_HOME/hosts: run ops/hosts/up.sh first"
    ;;
  down)
    for pidfile in "$AGENTS_DIR"/*.pid; do
      [ -f "$pidfile" ] || continue
      stop_pidfile "$pidfile" "the agent of $(basename "$pidfile" .pid)"
    done
    ;;
  *)
    die "usage: ops/agents.sh up | down"
    ;;
esac
