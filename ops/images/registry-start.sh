#!/bin/sh
# Starts the schema registry on port 8081, HTTPS only: its principal's files (cert.pem, key.pem, ca.crt
# from `ops/pki.sh DIR issue registry registry <addresses>`) in /etc/vmflow/tls; clients must show a
# certificate of the same CA. Storage: /var/lib/registry/db (H2), so schema ids outlive the container.
# REGISTRY_HEAP (192m).
set -eu
tls=/etc/vmflow/tls
for f in cert.pem key.pem ca.crt; do
  [ -r "$tls/$f" ] || { echo "registry: $tls/$f is missing or unreadable by uid $(id -u): mount the registry's principal directory" >&2; exit 2; }
done
# Quarkus reads a PKCS#12 trust store: made from the CA certificate (public; its password guards nothing)
trust=/var/lib/registry/ca.p12
rm -f "$trust"
keytool -importcert -noprompt -alias vmflow-ca -file "$tls/ca.crt" -keystore "$trust" -storetype PKCS12 -storepass vmflow-ca > /dev/null
export REGISTRY_DATASOURCE_URL="jdbc:h2:file:/var/lib/registry/db/registry"
exec java -Xmx"${REGISTRY_HEAP:-192m}" -XX:+UseSerialGC \
  -Dquarkus.http.host=0.0.0.0 -Dquarkus.http.insecure-requests=disabled -Dquarkus.http.ssl-port=8081 \
  -Dquarkus.http.ssl.protocols=TLSv1.3 -Dquarkus.http.ssl.client-auth=required \
  -Dquarkus.http.ssl.certificate.files="$tls/cert.pem" -Dquarkus.http.ssl.certificate.key-files="$tls/key.pem" \
  -Dquarkus.http.ssl.certificate.trust-store-file="$trust" -Dquarkus.http.ssl.certificate.trust-store-file-type=PKCS12 \
  -Dquarkus.http.ssl.certificate.trust-store-password=vmflow-ca -Dquarkus.log.file.enable=false \
  -jar /opt/registry/registry.jar
