#!/usr/bin/env bash
# Starts (or stops) one host agent per test host made by ops/hosts/up.sh, each in its own JVM, with
# logs in $VMFLOW_HOME/agents/<id>.log and management ports 9181, 9182, ...
#   ops/agents.sh up | down
# Needs the stack (ops/stack/up.sh) and the hosts (ops/hosts/up.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

AGENTS_DIR="$VMFLOW_HOME/agents"
JAR="$VMFLOW_ROOT/host-agent-service/target/vmflow-host-agent-service-0.1.0-SNAPSHOT.jar"

case "${1:-}" in
  up)
    require_java
    if [ ! -f "$JAR" ] || [ -n "$(find "$VMFLOW_ROOT/host-agent-service/src/main" "$VMFLOW_ROOT/schemas/src/main" -newer "$JAR" -type f | head -1)" ]; then
      say "building the host agent"
      (cd "$VMFLOW_ROOT" && mvn_cmd -pl host-agent-service -am install -DskipTests) || die "building the host agent failed"
    fi
    mkdir -p "$AGENTS_DIR"
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
                     VMFLOW_AGENT_RELAY_CERT="$VMFLOW_HOME/pki/$id.crt")
        fi
        env "${relay_env[@]}" \
        VMFLOW_AGENT_HOST_ID="$id" \
        VMFLOW_AGENT_LIBVIRT_URI="$(sed -n 's/^libvirtUri=//p' "$props")" \
        VMFLOW_AGENT_MIGRATION_ADDRESSES="$(sed -n 's/^migrationAddress=//p' "$props")" \
        VMFLOW_AGENT_MANAGEMENT="127.0.0.1:$port" \
        VMFLOW_AGENT_PROGRESS_INTERVAL_MS="${VMFLOW_AGENT_PROGRESS_INTERVAL_MS:-250}" \
        KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$VMFLOW_KAFKA_PORT" \
        SCHEMA_REGISTRY_URL="http://127.0.0.1:$VMFLOW_REGISTRY_PORT/apis/ccompat/v7" \
          setsid nohup java -Xmx256m -cp "$JAR:$VMFLOW_ROOT/host-agent-service/target/lib/*" io.vmflow.agent.Main \
          > "$AGENTS_DIR/$id.log" 2>&1 < /dev/null &
        echo $! > "$AGENTS_DIR/$id.pid"
        readyport=$port
        wait_for 120 "the agent of $id" "$AGENTS_DIR/$id.log" "$AGENTS_DIR/$id.pid" \
          curl -sf "http://127.0.0.1:$readyport/ready" -o /dev/null
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
