# vmflow/kafka: an Apache Kafka 4.4.0 broker and KRaft controller from its Maven Central jars (those
# ops/stack/kafka fetches), with vmflow's principal builder (the runtime jar). Mutual TLS 1.3 on every
# listener, ACLs enforced; settings from the environment (kafka-start.sh says which).
FROM vmflow/jre:17
COPY libs/ /opt/kafka/libs/
COPY kafka-start.sh kafka-properties.sh /opt/kafka/
RUN mkdir -p /var/lib/kafka && chown vmflow:vmflow /var/lib/kafka
USER vmflow
VOLUME /var/lib/kafka
EXPOSE 9092
HEALTHCHECK --interval=5s --timeout=10s --start-period=20s --retries=30 \
  CMD grep -q "Kafka Server started" /var/lib/kafka/server.log
ENTRYPOINT ["/opt/kafka/kafka-start.sh"]
