#!/usr/bin/env bash
# Starts the embedded default on loopback: a real Apache Kafka 4.4 broker (KRaft, its own JVM; three with
# VMFLOW_KAFKA_BROKERS=3) and a
# real schema registry with the Confluent REST API (Apicurio Registry 2.4.2, its own JVM), waits until
# both are ready, creates vmflow's topics, sets the registry to BACKWARD compatibility and registers
# vmflow's schemas. Idempotent: what already runs is left alone. Data and logs: $VMFLOW_HOME
# (default .vmflow/). Ports: VMFLOW_KAFKA_PORT (9092), VMFLOW_KAFKA_CONTROLLER_PORT (9093),
# VMFLOW_REGISTRY_PORT (8081). Stop with ops/stack/down.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$VMFLOW_ROOT/ops/stack/kafka-properties.sh"

require_java
KAFKA_DIR="$VMFLOW_HOME/kafka"
REGISTRY_DIR="$VMFLOW_HOME/registry"
mkdir -p "$KAFKA_DIR" "$REGISTRY_DIR"


stack_jars_ready
vmflow_cli_ready
# the brokers' principal builder (io.vmflow.runtime.security.KafkaPrincipals) comes from this jar alone
RUNTIME_JAR="$VMFLOW_ROOT/runtime/target/vmflow-runtime-0.1.0-SNAPSHOT.jar"
[ "${VMFLOW_KAFKA_PLAINTEXT:-}" = true ] || "$VMFLOW_ROOT/ops/pki.sh" "$VMFLOW_PKI" issue admin vmflow

# --- Kafka -----------------------------------------------------------------------------------------
# VMFLOW_KAFKA_BROKERS=3 starts a three-node KRaft cluster (each node a broker and a controller) on
# VMFLOW_KAFKA_PORT, +2, +4 (controllers on VMFLOW_KAFKA_CONTROLLER_PORT, +2, +4): vmflow's topics get
# three copies and min.insync.replicas=2, so one broker can die without losing an acknowledged record.
BROKERS="${VMFLOW_KAFKA_BROKERS:-1}"
# The broker's JVM: small and quick to start by default (the embedded stack shares a laptop with the
# test hosts: C1 only, serial GC); VMFLOW_KAFKA_JAVA_OPTS replaces it, e.g. with Kafka's own server
# defaults for a benchmark (ops/bench/control-plane.sh does).
read -r -a KAFKA_JAVA_OPTS <<< "${VMFLOW_KAFKA_JAVA_OPTS:--Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}"
case "$BROKERS" in 1|3) ;; *) die "VMFLOW_KAFKA_BROKERS must be 1 or 3, not '$BROKERS'" ;; esac
[ -f "$KAFKA_DIR/brokers" ] || [ ! -f "$KAFKA_DIR/data/meta.properties" ] || echo 1 > "$KAFKA_DIR/brokers"
if [ -f "$KAFKA_DIR/brokers" ] && [ "$(cat "$KAFKA_DIR/brokers")" != "$BROKERS" ]; then
  die "$KAFKA_DIR holds a $(cat "$KAFKA_DIR/brokers")-broker cluster, not $BROKERS: stop it with ops/stack/down.sh --purge first"
fi
node_dir() { if [ "$1" = 1 ]; then echo "$KAFKA_DIR"; else echo "$KAFKA_DIR/node-$1"; fi; }
broker_port() { echo $((VMFLOW_KAFKA_PORT + 2 * ($1 - 1))); }
controller_port() { echo $((VMFLOW_KAFKA_CONTROLLER_PORT + 2 * ($1 - 1))); }
voters=""
bootstrap=""
for n in $(seq 1 "$BROKERS"); do
  voters="${voters:+$voters,}$n@127.0.0.1:$(controller_port "$n")"
  bootstrap="${bootstrap:+$bootstrap,}127.0.0.1:$(broker_port "$n")"
done
copies=$([ "$BROKERS" = 3 ] && echo 3 || echo 1)
min_isr=$([ "$BROKERS" = 3 ] && echo 2 || echo 1)
cluster_id=""
for n in $(seq 1 "$BROKERS"); do
  dir="$(node_dir "$n")"
  [ -f "$dir/data/meta.properties" ] && cluster_id="$(sed -n 's/^cluster.id=//p' "$dir/data/meta.properties")"
done
[ -n "$cluster_id" ] || cluster_id="$(java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
echo "$BROKERS" > "$KAFKA_DIR/brokers"

start_kafka_node() {
  local n=$1 dir port cport name
  dir="$(node_dir "$n")"
  name=$([ "$BROKERS" = 1 ] && echo "Kafka" || echo "Kafka node $n")
  port="$(broker_port "$n")"
  cport="$(controller_port "$n")"
  mkdir -p "$dir"
  if pid_alive "$dir/kafka.pid"; then
    say "$name already running (pid $(cat "$dir/kafka.pid"))"
    return
  fi
  if port_open 127.0.0.1 "$port" || port_open 127.0.0.1 "$cport"; then
    die "port $port or $cport is taken by another program: stop it, or set VMFLOW_KAFKA_PORT"
  fi
  kafka_node=$n kafka_voters=$voters kafka_data="$dir/data" kafka_copies=$copies kafka_min_isr=$min_isr
  if [ "${VMFLOW_KAFKA_PLAINTEXT:-}" = true ]; then
    kafka_listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
    kafka_advertised="PLAINTEXT://127.0.0.1:$port"
    kafka_protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT" kafka_inter=PLAINTEXT kafka_tls=""
  else
    # mutual TLS on every listener (kafka-properties.sh); brokers and admins are super users
    "$VMFLOW_ROOT/ops/pki.sh" "$VMFLOW_PKI" issue broker "kafka-$n" 127.0.0.1
    [ -f "$VMFLOW_PKI/broker.kafka-$n/crl.pem" ] || cp "$VMFLOW_PKI/crl.pem" "$VMFLOW_PKI/broker.kafka-$n/crl.pem"
    kafka_listeners="BROKER://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
    kafka_advertised="BROKER://127.0.0.1:$port"
    kafka_protocols="CONTROLLER:SSL,BROKER:SSL" kafka_inter=BROKER kafka_tls="$VMFLOW_PKI/broker.kafka-$n"
    kafka_super_users="User:broker.kafka-1;User:broker.kafka-2;User:broker.kafka-3;User:admin.vmflow"
  fi
  kafka_properties > "$dir/server.properties"
  cat > "$dir/log4j2.properties" <<PROPS
appender.file.type=File
appender.file.name=file
appender.file.fileName=$dir/kafka.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
logger.kafka.name=kafka
logger.kafka.level=INFO
logger.state.name=state.change.logger
logger.state.level=WARN
PROPS
  if [ ! -f "$dir/data/meta.properties" ]; then
    say "formatting $name's storage in $dir/data"
    java -Xmx256m -cp "$KAFKA_LIBS/*:$RUNTIME_JAR" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$dir/server.properties" > "$dir/format.log" 2>&1 || { cat "$dir/format.log" >&2; die "formatting Kafka's storage failed"; }
  fi
  say "starting $name on 127.0.0.1:$port"
  : > "$dir/kafka.log"
  setsid nohup java "${KAFKA_JAVA_OPTS[@]}" \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$KAFKA_LIBS/*:$RUNTIME_JAR" kafka.Kafka "$dir/server.properties" > "$dir/kafka.out" 2>&1 < /dev/null &
  echo $! > "$dir/kafka.pid"
}
for n in $(seq 1 "$BROKERS"); do
  start_kafka_node "$n"
done

# --- Schema registry -------------------------------------------------------------------------------
# With TLS (the default) the registry serves HTTPS only, TLS 1.3, and requires a client certificate of
# the stack's CA: only vmflow's principals reach it. Quarkus reads a PKCS#12 trust store, made here from
# the CA certificate (public; its password guards nothing secret).
registry_tls=()
if [ "${VMFLOW_KAFKA_PLAINTEXT:-}" != true ]; then
  "$VMFLOW_ROOT/ops/pki.sh" "$VMFLOW_PKI" issue registry local 127.0.0.1 > /dev/null
  rm -f "$REGISTRY_DIR/ca.p12"
  keytool -importcert -noprompt -alias vmflow-ca -file "$VMFLOW_PKI/registry.local/ca.crt" \
    -keystore "$REGISTRY_DIR/ca.p12" -storetype PKCS12 -storepass vmflow-ca > /dev/null 2>&1 ||
    die "could not make the registry's trust store from $VMFLOW_PKI/registry.local/ca.crt"
  registry_tls=(-Dquarkus.http.insecure-requests=disabled -Dquarkus.http.ssl-port="$VMFLOW_REGISTRY_PORT"
    -Dquarkus.http.ssl.protocols=TLSv1.3 -Dquarkus.http.ssl.client-auth=required
    -Dquarkus.http.ssl.certificate.files="$VMFLOW_PKI/registry.local/cert.pem"
    -Dquarkus.http.ssl.certificate.key-files="$VMFLOW_PKI/registry.local/key.pem"
    -Dquarkus.http.ssl.certificate.trust-store-file="$REGISTRY_DIR/ca.p12"
    -Dquarkus.http.ssl.certificate.trust-store-file-type=PKCS12
    -Dquarkus.http.ssl.certificate.trust-store-password=vmflow-ca)
fi
registry_ready() { registry_curl -sf "$(registry_base)/health/ready" > /dev/null; }
if pid_alive "$REGISTRY_DIR/registry.pid"; then
  say "schema registry already running (pid $(cat "$REGISTRY_DIR/registry.pid"))"
else
  if port_open 127.0.0.1 "$VMFLOW_REGISTRY_PORT"; then
    die "port $VMFLOW_REGISTRY_PORT is taken by another program: stop it, or set VMFLOW_REGISTRY_PORT"
  fi
  say "starting the schema registry on 127.0.0.1:$VMFLOW_REGISTRY_PORT (storage: $REGISTRY_DIR/db)"
  # H2 in a file, so schema ids survive a restart along with the Kafka records that carry them
  REGISTRY_DATASOURCE_URL="jdbc:h2:file:$REGISTRY_DIR/db/registry" \
    setsid nohup java -Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$VMFLOW_REGISTRY_PORT" "${registry_tls[@]}" \
    -Dquarkus.log.file.enable=false \
    -jar "$REGISTRY_JAR" > "$REGISTRY_DIR/registry.log" 2>&1 < /dev/null &
  echo $! > "$REGISTRY_DIR/registry.pid"
fi

kafka_ready() { grep -q "Kafka Server started" "$1/kafka.log" 2>/dev/null; }
for n in $(seq 1 "$BROKERS"); do
  dir="$(node_dir "$n")"
  wait_for 120 "$([ "$BROKERS" = 1 ] && echo "Kafka" || echo "Kafka node $n")" "$dir/kafka.log" "$dir/kafka.pid" kafka_ready "$dir"
done
wait_for 120 "the schema registry" "$REGISTRY_DIR/registry.log" "$REGISTRY_DIR/registry.pid" registry_ready

export KAFKA_BOOTSTRAP_SERVERS="$bootstrap"
export VMFLOW_KAFKA_REPLICATION_FACTOR="${VMFLOW_KAFKA_REPLICATION_FACTOR:-$copies}"
export SCHEMA_REGISTRY_URL="$(registry_url)"
vmflow_cli setup ${VMFLOW_HOSTS:+--hosts "$VMFLOW_HOSTS"} ${VMFLOW_GRANTS:+--grant "$VMFLOW_GRANTS"} || die "setting up topics and schemas failed"

cat <<OUT
vmflow stack is up
  KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS
  Kafka security: $([ "${VMFLOW_KAFKA_PLAINTEXT:-}" = true ] && echo "PLAINTEXT (development switch)" || echo "mutual TLS; certificates in $VMFLOW_PKI, e.g. VMFLOW_KAFKA_TLS_DIR=$VMFLOW_PKI/admin.vmflow")
  VMFLOW_KAFKA_REPLICATION_FACTOR=$VMFLOW_KAFKA_REPLICATION_FACTOR  ($BROKERS broker(s); give the services the same)
  SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL
  data and logs: $VMFLOW_HOME
  stop: ops/stack/down.sh
OUT
