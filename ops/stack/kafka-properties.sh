# shellcheck shell=sh
# The broker's server.properties, one definition for the local stack (ops/stack/up.sh) and the
# vmflow/kafka image (kafka-start.sh, which runs it with the image's /bin/sh): sourced, then
# kafka_properties prints it from these variables:
#   kafka_node, kafka_voters, kafka_listeners, kafka_advertised, kafka_protocols (the listener
#   security protocol map), kafka_inter (the inter-broker listener), kafka_data (log.dirs),
#   kafka_copies (replication), kafka_min_isr;
#   kafka_tls: the broker's principal directory from ops/pki.sh (keystore.pem, ca.crt, crl.pem when
#   there is one) for mutual TLS 1.3 with vmflow's principals and ACLs enforced, empty for the
#   plaintext development switch; kafka_super_users: the brokers and the admin (with kafka_tls).
kafka_properties() {
  cat <<PROPS
process.roles=broker,controller
node.id=$kafka_node
controller.quorum.voters=$kafka_voters
listeners=$kafka_listeners
advertised.listeners=$kafka_advertised
controller.listener.names=CONTROLLER
listener.security.protocol.map=$kafka_protocols
inter.broker.listener.name=$kafka_inter
PROPS
  if [ -n "$kafka_tls" ]; then
    # clients' principals from their vmflow certificates; no access without an ACL (vmflow setup
    # grants them); revoked certificates refused (KafkaPrincipals reads the list again when it changes)
    cat <<PROPS
ssl.client.auth=required
ssl.protocol=TLSv1.3
ssl.enabled.protocols=TLSv1.3
ssl.keystore.type=PEM
ssl.keystore.location=$kafka_tls/keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$kafka_tls/ca.crt
principal.builder.class=io.vmflow.runtime.security.KafkaPrincipals
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=$kafka_super_users
PROPS
    if [ -r "$kafka_tls/crl.pem" ]; then
      echo "vmflow.crl.file=$kafka_tls/crl.pem"
    fi
  fi
  cat <<PROPS
log.dirs=$kafka_data
num.partitions=1
auto.create.topics.enable=false
default.replication.factor=$kafka_copies
min.insync.replicas=$kafka_min_isr
offsets.topic.replication.factor=$kafka_copies
transaction.state.log.replication.factor=$kafka_copies
transaction.state.log.min.isr=$kafka_min_isr
share.coordinator.state.topic.replication.factor=$kafka_copies
share.coordinator.state.topic.min.isr=$kafka_min_isr
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=8388608
PROPS
}
