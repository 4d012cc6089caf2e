#!/usr/bin/env bash
# Starts (or stops) the coordinator in its own JVM, log in $VMFLOW_HOME/coordinator/coordinator.log.
#   ops/coordinator.sh up | down
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$VMFLOW_HOME/coordinator"

case "${1:-}" in
  up)
    require_java
    build_if_stale coordinator-service "the coordinator"
    mkdir -p "$DIR"
    if pid_alive "$DIR/coordinator.pid"; then
      say "coordinator already running (pid $(cat "$DIR/coordinator.pid"))"
      exit 0
    fi
    # the HTTP API trusts tokens signed with this stack's key ($VMFLOW_HOME/auth, made once)
    vmflow_cli_ready
    vmflow_cli token --init
    id="${VMFLOW_COORDINATOR_ID:-coordinator-1}"
    [ "${VMFLOW_KAFKA_PLAINTEXT:-}" = true ] || vmflow_cli setup --grant "coordinator.$id" > /dev/null
    say "starting the coordinator (log $DIR/coordinator.log)"
    start_service "the coordinator" "$DIR/coordinator" coordinator-service io.vmflow.coordinator.Main \
      "http://127.0.0.1:9081/ready" VMFLOW_COORDINATOR_ID="$id" "$(kafka_principal coordinator "$id" 127.0.0.1)" \
      VMFLOW_COORDINATOR_HTTP=127.0.0.1:8080 VMFLOW_COORDINATOR_JWT_KEYS="$VMFLOW_HOME/auth/jwt-keys.pem"
    ;;
  down)
    stop_pidfile "$DIR/coordinator.pid" "the coordinator"
    ;;
  *)
    die "usage: ops/coordinator.sh up | down"
    ;;
esac
