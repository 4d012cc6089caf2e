#!/usr/bin/env bash
# Starts the embedded default on loopback: a real Apache Kafka 4.4 broker (KRaft, its own JVM) and a
# real schema registry with the Confluent REST API (Apicurio Registry 2.4.2, its own JVM), waits until
# both are ready, creates vmflow's topics, sets the registry to BACKWARD compatibility and registers
# vmflow's schemas. Idempotent: what already runs is left alone. Data and logs: $VMFLOW_HOME
# (default .vmflow/). Ports: VMFLOW_KAFKA_PORT (9092), VMFLOW_KAFKA_CONTROLLER_PORT (9093),
# VMFLOW_REGISTRY_PORT (8081). Stop with ops/stack/down.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

require_java
KAFKA_DIR="$VMFLOW_HOME/kafka"
REGISTRY_DIR="$VMFLOW_HOME/registry"
mkdir -p "$KAFKA_DIR" "$REGISTRY_DIR"

KAFKA_LIBS="$VMFLOW_ROOT/ops/stack/kafka/target/libs"
REGISTRY_JAR="$VMFLOW_ROOT/ops/stack/registry/target/vmflow-stack-registry-0.1.0-SNAPSHOT-runner.jar"

if [ ! -f "$KAFKA_LIBS/kafka_2.13-4.4.0.jar" ]; then
  say "fetching the Kafka 4.4.0 broker jars from Maven Central (once)"
  mvn_cmd -f "$VMFLOW_ROOT/ops/stack/kafka/pom.xml" dependency:copy-dependencies || die "could not fetch the Kafka broker jars"
fi
if [ ! -f "$REGISTRY_JAR" ]; then
  say "building Apicurio Registry 2.4.2 from Maven Central (once; a few minutes on a fresh machine)"
  mvn_cmd -f "$VMFLOW_ROOT/ops/stack/registry/pom.xml" package -DskipTests || die "could not build the schema registry"
fi
vmflow_cli_ready

# --- Kafka -----------------------------------------------------------------------------------------
if pid_alive "$KAFKA_DIR/kafka.pid"; then
  say "Kafka already running (pid $(cat "$KAFKA_DIR/kafka.pid"))"
else
  if port_open 127.0.0.1 "$VMFLOW_KAFKA_PORT" || port_open 127.0.0.1 "$VMFLOW_KAFKA_CONTROLLER_PORT"; then
    die "port $VMFLOW_KAFKA_PORT or $VMFLOW_KAFKA_CONTROLLER_PORT is taken by another program: stop it, or set VMFLOW_KAFKA_PORT"
  fi
  cat > "$KAFKA_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$VMFLOW_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$VMFLOW_KAFKA_PORT,CONTROLLER://127.0.0.1:$VMFLOW_KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$VMFLOW_KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=8388608
PROPS
  cat > "$KAFKA_DIR/log4j2.properties" <<PROPS
appender.file.type=File
appender.file.name=file
appender.file.fileName=$KAFKA_DIR/kafka.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
logger.kafka.name=kafka
logger.kafka.level=INFO
logger.state.name=state.change.logger
logger.state.level=WARN
PROPS
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    say "formatting Kafka's storage in $KAFKA_DIR/data"
    java -Xmx256m -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
      kafka.tools.StorageTool format -t "$(java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)" \
      -c "$KAFKA_DIR/server.properties" > "$KAFKA_DIR/format.log" 2>&1 || { cat "$KAFKA_DIR/format.log" >&2; die "formatting Kafka's storage failed"; }
  fi
  say "starting Kafka on 127.0.0.1:$VMFLOW_KAFKA_PORT"
  : > "$KAFKA_DIR/kafka.log"
  setsid nohup java -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" > "$KAFKA_DIR/kafka.out" 2>&1 < /dev/null &
  echo $! > "$KAFKA_DIR/kafka.pid"
fi

# --- Schema registry -------------------------------------------------------------------------------
registry_ready() { curl -sf "http://127.0.0.1:$VMFLOW_REGISTRY_PORT/health/ready" > /dev/null; }
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
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$VMFLOW_REGISTRY_PORT" \
    -Dquarkus.log.file.enable=false \
    -jar "$REGISTRY_JAR" > "$REGISTRY_DIR/registry.log" 2>&1 < /dev/null &
  echo $! > "$REGISTRY_DIR/registry.pid"
fi

kafka_ready() { grep -q "Kafka Server started" "$KAFKA_DIR/kafka.log" 2>/dev/null; }
wait_for 120 "Kafka" "$KAFKA_DIR/kafka.log" "$KAFKA_DIR/kafka.pid" kafka_ready
wait_for 120 "the schema registry" "$REGISTRY_DIR/registry.log" "$REGISTRY_DIR/registry.pid" registry_ready

export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$VMFLOW_KAFKA_PORT"
export SCHEMA_REGISTRY_URL="http://127.0.0.1:$VMFLOW_REGISTRY_PORT/apis/ccompat/v7"
vmflow_cli setup ${VMFLOW_HOSTS:+--hosts "$VMFLOW_HOSTS"} || die "setting up topics and schemas failed"

cat <<OUT
vmflow stack is up
  KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS
  SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL
  data and logs: $VMFLOW_HOME
  stop: ops/stack/down.sh
OUT
