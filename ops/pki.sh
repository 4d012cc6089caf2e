#!/usr/bin/env bash
# A development certificate authority and one certificate per host for the transport relays
# (TLS 1.3, mutual authentication). Production deployments bring their own CA: the relay only needs
# PEM paths. Idempotent: an existing CA and existing host certificates are kept.
#   ops/pki.sh DIR HOST_ID[=IP] ...        e.g. ops/pki.sh .vmflow/pki hostA=10.250.0.1 hostB=10.250.0.2
# Writes DIR/ca.crt, DIR/ca.key, and DIR/<host>.crt, DIR/<host>.key (PKCS#8) with the host id as CN
# and as a DNS name, its IP (when given) as an IP name, usable both as TLS server and as TLS client.
set -euo pipefail
dir=${1:?usage: ops/pki.sh DIR HOST_ID[=IP] ...}
shift
mkdir -p "$dir"
chmod 700 "$dir"
if [ ! -f "$dir/ca.crt" ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$dir/ca.key" -subj "/O=vmflow/CN=vmflow development CA" -days 3650 \
    -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.crt" 2>/dev/null
fi
for spec in "$@"; do
  host=${spec%%=*}
  ip=""
  [ "$spec" != "$host" ] && ip=${spec#*=}
  [ -f "$dir/$host.crt" ] && continue
  san="DNS:$host"
  [ -n "$ip" ] && san="$san,IP:$ip"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$host.key" 2>/dev/null
  openssl req -new -key "$dir/$host.key" -subj "/O=vmflow/CN=$host" -out "$dir/$host.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:false\n' "$san" > "$dir/$host.ext"
  openssl x509 -req -in "$dir/$host.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days "${VMFLOW_PKI_DAYS:-825}" -extfile "$dir/$host.ext" -out "$dir/$host.crt" 2>/dev/null
  rm -f "$dir/$host.csr" "$dir/$host.ext"
  chmod 600 "$dir/$host.key"
done
