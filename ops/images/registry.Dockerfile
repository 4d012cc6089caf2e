# vmflow/registry: Apicurio Registry 2.4.2 (built from Maven Central by ops/stack/registry) with the
# Confluent REST API under /apis/ccompat/v7, schemas kept in an H2 file on a volume (/var/lib/registry),
# HTTPS only (TLS 1.3) with client certificates of vmflow's CA. registry-start.sh says the settings.
FROM vmflow/jre:17
COPY lib/ /opt/registry/lib/
COPY registry.jar registry-start.sh /opt/registry/
RUN mkdir -p /var/lib/registry && chown vmflow:vmflow /var/lib/registry
USER vmflow
VOLUME /var/lib/registry
EXPOSE 8081
HEALTHCHECK --interval=5s --timeout=5s --start-period=20s --retries=30 \
  CMD curl -sf --cacert /etc/vmflow/tls/ca.crt --cert /etc/vmflow/tls/cert.pem --key /etc/vmflow/tls/key.pem \
      https://127.0.0.1:8081/health/ready -o /dev/null
ENTRYPOINT ["/opt/registry/registry-start.sh"]
