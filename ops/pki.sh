#!/usr/bin/env bash
# vmflow's development PKI: one CA, and one key and certificate per service instance (its principal),
# for the transport relays' TLS 1.3 and for Kafka's mutual TLS. Production deployments may bring their
# own CA; what a service needs is the layout of one principal's directory (below).
#   ops/pki.sh DIR init                      the CA, once: DIR/ca/ca.key (0600), DIR/ca/ca.crt
#   ops/pki.sh DIR issue ROLE NAME [IP ...]  a principal: DIR/ROLE.NAME/{key.pem (0600), cert.pem, ca.crt}
#   ops/pki.sh DIR hosts ID[=IP] ...         for each host, its agent's and its relay's principals
#   ops/pki.sh DIR revoke ROLE.NAME          revokes a principal; DIR/crl.pem lists every revoked one
# ROLE is one of agent, relay, coordinator, requester, admin, broker, registry (the schema registry's
# server certificate), hypervisor (a host's libvirtd and
# QEMU, ops/hosts/up.sh). Agents, admins and hypervisors also get DIR/ROLE.NAME/libvirt/ in libvirt's
# client layout (cacert.pem, clientcert.pem, clientkey.pem), for qemu+tls URIs' pkipath=. A certificate says who it is twice:
# the subject CN=NAME,OU=ROLE,O=vmflow and the SAN URI urn:vmflow:ROLE:NAME (which the relays and the
# Kafka brokers read), plus DNS:NAME and the IPs given (for host-name checks). A principal's directory
# holds its own key, its certificate and the CA certificate, never the CA's key: it is what is copied or
# mounted onto the machine that runs the service, and nothing else is. Certificates live
# VMFLOW_PKI_DAYS days (30); `issue` keeps a certificate with more than a third of its life left and
# replaces one that is older, so running it again (ops/relays.sh, ops/agents.sh do) rotates them.
# Idempotent: an existing CA is kept.
set -euo pipefail
usage() {
  echo "usage: ops/pki.sh DIR init | issue ROLE NAME [IP ...] | hosts ID[=IP] ... | revoke ROLE.NAME" >&2
  exit 2
}
dir=${1:-}
op=${2:-}
[ -n "$dir" ] && [ -n "$op" ] || usage
shift 2
ca="$dir/ca"
days=${VMFLOW_PKI_DAYS:-30}

init() {
  mkdir -p "$ca"
  chmod 700 "$dir" "$ca"
  [ -f "$ca/ca.crt" ] && return
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$ca/ca.key" 2> /dev/null)
  openssl req -x509 -new -key "$ca/ca.key" -subj "/O=vmflow/CN=vmflow CA" -days 3650 \
    -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$ca/ca.crt" 2> /dev/null
  : > "$ca/index.txt"
  printf '[ca]\ndefault_ca=vmflow\n[vmflow]\ndatabase=%s/index.txt\ndefault_md=sha256\ndefault_crl_days=%s\n' \
    "$ca" 3650 > "$ca/ca.cnf"
  crl
}

crl() {
  openssl ca -gencrl -config "$ca/ca.cnf" -keyfile "$ca/ca.key" -cert "$ca/ca.crt" -out "$ca/crl.pem" 2> /dev/null
  cp "$ca/crl.pem" "$dir/crl.pem"
  # the local copies, as an operator would distribute the list to every machine
  for d in "$dir"/*/; do
    [ -f "$d/cert.pem" ] && cp "$ca/crl.pem" "$d/crl.pem"
  done
  return 0
}

# whether DIR/NAME/cert.pem exists, names every IP asked for, and has more than a third of its life left
fresh() {
  local cert=$1/cert.pem start end now sans ip
  shift
  [ -f "$cert" ] || return 1
  sans=$(openssl x509 -in "$cert" -noout -ext subjectAltName 2> /dev/null)
  for ip in "$@"; do
    grep -qE "IP Address:$ip(,|\$)" <<< "$sans" || return 1
  done
  start=$(date -d "$(openssl x509 -in "$cert" -noout -startdate | cut -d= -f2)" +%s)
  end=$(date -d "$(openssl x509 -in "$cert" -noout -enddate | cut -d= -f2)" +%s)
  now=$(date +%s)
  [ $((end - now)) -gt $(((end - start) / 3)) ]
}

issue() {
  local role=$1 name=$2 out
  shift 2
  case "$role" in agent | relay | coordinator | requester | admin | broker | hypervisor | registry) ;; *) echo "unknown role '$role'" >&2; usage ;; esac
  [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$ ]] || { echo "invalid name '$name': letters, digits, '_' and '-'" >&2; exit 2; }
  [ -f "$ca/ca.key" ] || init
  out="$dir/$role.$name"
  fresh "$out" "$@" || mint "$role" "$name" "$out" "$@"
  case "$role" in agent | admin | hypervisor) libvirt_layout "$out" ;; esac
}

# libvirt's client names for a principal's files (pkipath=OUT/libvirt), rewritten when they differ
libvirt_layout() {
  local out=$1 l=$1/libvirt
  cmp -s "$out/cert.pem" "$l/clientcert.pem" 2> /dev/null && return
  mkdir -p "$l"
  chmod 700 "$l"
  (umask 077 && cp "$out/key.pem" "$l/clientkey.pem")
  cp "$out/ca.crt" "$l/cacert.pem"
  cp "$out/cert.pem" "$l/clientcert.pem"
}

mint() {
  local role=$1 name=$2 out=$3 tmp san
  shift 3
  san="URI:urn:vmflow:$role:$name,DNS:$name"
  for ip in "$@"; do san="$san,IP:$ip"; done
  tmp=$(mktemp -d)
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/key.pem" 2> /dev/null)
  openssl req -new -key "$tmp/key.pem" -subj "/O=vmflow/OU=$role/CN=$name" -out "$tmp/csr" 2> /dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:false\n' \
    "$san" > "$tmp/ext"
  openssl x509 -req -in "$tmp/csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAserial "$ca/serial" -CAcreateserial \
    -days "$days" -extfile "$tmp/ext" -out "$tmp/cert.pem" 2> /dev/null
  cp "$ca/ca.crt" "$tmp/ca.crt"
  # the key (and the key plus chain, which Kafka's PEM key store reads as one file) first, then the
  # certificate: a service that reloads on a changed cert.pem finds the matching key already there
  mkdir -p "$out"
  chmod 700 "$out"
  cat "$tmp/key.pem" "$tmp/cert.pem" > "$tmp/keystore.pem"
  chmod 600 "$tmp/key.pem" "$tmp/keystore.pem"
  mv -f "$tmp/key.pem" "$out/key.pem"
  mv -f "$tmp/keystore.pem" "$out/keystore.pem"
  mv -f "$tmp/ca.crt" "$out/ca.crt"
  mv -f "$tmp/cert.pem" "$out/cert.pem"
  [ -f "$dir/crl.pem" ] && cp "$dir/crl.pem" "$out/crl.pem"
  rm -rf "$tmp"
}

revoke() {
  local who=$1 cert serial end subject
  cert="$dir/$who/cert.pem"
  [ -f "$cert" ] || { echo "no certificate $cert" >&2; exit 1; }
  serial=$(openssl x509 -in "$cert" -noout -serial | cut -d= -f2)
  end=$(date -u -d "$(openssl x509 -in "$cert" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
  subject=$(openssl x509 -in "$cert" -noout -subject -nameopt compat | sed 's/^subject=//')
  grep -q "	$serial	" "$ca/index.txt" ||
    printf 'R\t%s\t%s\t%s\tunknown\t%s\n' "$end" "$(date -u +%y%m%d%H%M%SZ)" "$serial" "$subject" >> "$ca/index.txt"
  crl
  rm -rf "${dir:?}/$who"
  echo "revoked $who (serial $serial); distribute $dir/crl.pem to the relays (they reload it)"
}

case "$op" in
  init) init ;;
  issue)
    [ $# -ge 2 ] || usage
    issue "$@"
    ;;
  hosts)
    [ $# -ge 1 ] || usage
    for spec in "$@"; do
      host=${spec%%=*}
      ips=()
      [ "$spec" != "$host" ] && ips=("${spec#*=}")
      issue agent "$host"
      issue relay "$host" "${ips[@]}"
    done
    ;;
  revoke)
    [ $# -eq 1 ] || usage
    revoke "$1"
    ;;
  *) usage ;;
esac
