#!/bin/sh
# Starts one combined broker and controller of a KRaft cluster from the environment:
#   KAFKA_NODE_ID (1), KAFKA_VOTERS (1@<this host name>:9093),
#   KAFKA_ADVERTISED: host:port clients outside the container network reach it at (127.0.0.1:9092),
#   KAFKA_INTERNAL_HOST: the name containers reach it at, in its certificate (this host name),
#   KAFKA_REPLICATION (1), KAFKA_MIN_ISR (1), KAFKA_HEAP (384m), KAFKA_CLUSTER_ID (made once).
# Its principal's files (keystore.pem, ca.crt, crl.pem from ops/pki.sh) in /etc/vmflow/tls.
set -eu
id="${KAFKA_NODE_ID:-1}"
host="${KAFKA_INTERNAL_HOST:-$(hostname)}"
tls=/etc/vmflow/tls
data=/var/lib/kafka
for f in keystore.pem ca.crt; do
  [ -r "$tls/$f" ] || { echo "kafka: $tls/$f is missing or unreadable by uid $(id -u): mount the broker's principal directory (ops/pki.sh DIR issue broker kafka-$id ...)" >&2; exit 2; }
done
. /opt/kafka/kafka-properties.sh
kafka_node=$id kafka_voters="${KAFKA_VOTERS:-$id@$host:9093}" kafka_data="$data/data"
kafka_listeners="INTERNAL://0.0.0.0:29092,EXTERNAL://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093"
kafka_advertised="INTERNAL://$host:29092,EXTERNAL://${KAFKA_ADVERTISED:-127.0.0.1:9092}"
kafka_protocols="INTERNAL:SSL,EXTERNAL:SSL,CONTROLLER:SSL" kafka_inter=INTERNAL kafka_tls=$tls
kafka_super_users="User:broker.kafka-$id;User:admin.vmflow"
kafka_copies="${KAFKA_REPLICATION:-1}" kafka_min_isr="${KAFKA_MIN_ISR:-1}"
kafka_properties > "$data/server.properties"
cat > "$data/log4j2.properties" <<PROPS
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
appender.file.type=File
appender.file.name=file
appender.file.fileName=$data/server.log
appender.file.append=false
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.out.ref=out
rootLogger.appenderRef.file.ref=file
logger.state.name=state.change.logger
logger.state.level=WARN
PROPS
cp="/opt/kafka/libs/*"
log4j="-Dlog4j2.configurationFile=$data/log4j2.properties"
if [ ! -f "$data/data/meta.properties" ]; then
  cluster="${KAFKA_CLUSTER_ID:-$(java $log4j -cp "$cp" kafka.tools.StorageTool random-uuid 2> /dev/null | tail -1)}"
  echo "kafka: formatting $data/data for cluster $cluster"
  java $log4j -cp "$cp" kafka.tools.StorageTool format -t "$cluster" -c "$data/server.properties"
fi
exec java -Xmx"${KAFKA_HEAP:-384m}" -XX:+UseSerialGC $log4j -cp "$cp" kafka.Kafka "$data/server.properties"
