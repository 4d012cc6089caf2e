#!/usr/bin/env bash
# The control plane at fleet scale: the real coordinator (its own JVM, 512 MiB heap) against simulated
# hosts, a LOAD GENERATOR that speaks vmflow's host protocol with no hypervisor (never used by the
# tests), on a private broker and registry that is deleted at the end. Prints phase transitions/s,
# latencies (request -> ACCEPTED, request -> first command, final report -> its event) at full load
# and at a tenth of it, the coordinator's heap and RSS with 1,000 and OPEN open migrations, its
# recovery after kill -9, and Kafka's own transactional consume-transform-produce on the same broker
# (the ceiling) as a ratio.
#   ops/bench/control-plane.sh [HOSTS=100] [MIGRATIONS=6000] [OPEN=10000] [AT_ONCE=3*HOSTS]
# (the coordinator's admission limits are raised to 4 out of and 4 into each host, 1,000 in the cluster;
# BENCH_COORDINATOR_JFR=FILE records where its time goes up to the end of the light-load phase)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# the broker as Kafka's own start script runs it (its heap and GC defaults), not the small, C1-only JVM of
# the embedded test stack: what is measured is vmflow against a production-shaped broker
export VMFLOW_KAFKA_JAVA_OPTS="${VMFLOW_KAFKA_JAVA_OPTS:--Xmx1g -Xms1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent}"
use_private_stack bench "${VMFLOW_BENCH_KAFKA_PORT:-29092}" "${VMFLOW_BENCH_REGISTRY_PORT:-28081}"
unset VMFLOW_HOSTS VMFLOW_KAFKA_TLS_DIR

require_java
build_if_stale coordinator-service "the coordinator"
vmflow_cli_ready
cleanup() {
  pkill -f -- "-cp $VMFLOW_ROOT/coordinator-service/target/[^ ]* io.vmflow.coordinator.Main" 2> /dev/null || true
  # the coordinator's log outlives the private stack, for a look at what it did
  [ ! -f "$VMFLOW_HOME/coordinator-bench.log" ] ||
    cp "$VMFLOW_HOME/coordinator-bench.log" "$VMFLOW_ROOT/.vmflow/bench-coordinator.log"
  "$VMFLOW_ROOT/ops/stack/down.sh" --purge > /dev/null 2>&1 || true
  rm -rf "$VMFLOW_HOME"
}
cleanup
trap cleanup EXIT
say "starting a private stack for the benchmark (Kafka $KAFKA_BOOTSTRAP_SERVERS, registry $SCHEMA_REGISTRY_URL)"
"$VMFLOW_ROOT/ops/stack/up.sh" > "$VMFLOW_ROOT/.vmflow/bench-stack.log" 2>&1 || die "the stack did not start: .vmflow/bench-stack.log"
export VMFLOW_KAFKA_TLS_DIR="$VMFLOW_PKI/admin.vmflow"
"$VMFLOW_ROOT/ops/pki.sh" "$VMFLOW_PKI" issue coordinator bench-coordinator > /dev/null
vmflow_cli setup --grant coordinator.bench-coordinator > /dev/null
say "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
env VMFLOW_ROOT="$VMFLOW_ROOT" BENCH_COORDINATOR_TLS_DIR="$VMFLOW_PKI/coordinator.bench-coordinator" \
  BENCH_COORDINATOR_LOG="$VMFLOW_HOME/coordinator-bench.log" \
  java -Xmx1g -cp "$VMFLOW_ROOT/ops/target/vmflow-ops-0.1.0-SNAPSHOT.jar:$VMFLOW_ROOT/ops/target/lib/*" \
  io.vmflow.ops.bench.ControlPlaneBench "$@"
