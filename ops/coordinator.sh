#!/usr/bin/env bash
# Starts (or stops) the coordinator in its own JVM, log in $VMFLOW_HOME/coordinator/coordinator.log.
#   ops/coordinator.sh up | down
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$VMFLOW_HOME/coordinator"
JAR="$VMFLOW_ROOT/coordinator-service/target/vmflow-coordinator-service-0.1.0-SNAPSHOT.jar"

case "${1:-}" in
  up)
    require_java
    if [ ! -f "$JAR" ] || [ -n "$(find "$VMFLOW_ROOT/coordinator-service/src/main" "$VMFLOW_ROOT/schemas/src/main" -newer "$JAR" -type f | head -1)" ]; then
      say "building the coordinator"
      (cd "$VMFLOW_ROOT" && mvn_cmd -pl coordinator-service -am install -DskipTests) || die "building the coordinator failed"
    fi
    mkdir -p "$DIR"
    if pid_alive "$DIR/coordinator.pid"; then
      say "coordinator already running (pid $(cat "$DIR/coordinator.pid"))"
      exit 0
    fi
    say "starting the coordinator (log $DIR/coordinator.log)"
    VMFLOW_COORDINATOR_ID="${VMFLOW_COORDINATOR_ID:-coordinator-1}" \
    KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$VMFLOW_KAFKA_PORT" \
    SCHEMA_REGISTRY_URL="http://127.0.0.1:$VMFLOW_REGISTRY_PORT/apis/ccompat/v7" \
      setsid nohup java -Xmx256m -cp "$JAR:$VMFLOW_ROOT/coordinator-service/target/lib/*" io.vmflow.coordinator.Main \
      > "$DIR/coordinator.log" 2>&1 < /dev/null &
    echo $! > "$DIR/coordinator.pid"
    coordinator_ready() { grep -q "restored" "$DIR/coordinator.log"; }
    wait_for 120 "the coordinator" "$DIR/coordinator.log" "$DIR/coordinator.pid" coordinator_ready
    ;;
  down)
    stop_pidfile "$DIR/coordinator.pid" "the coordinator"
    ;;
  *)
    die "usage: ops/coordinator.sh up | down"
    ;;
esac
