#!/usr/bin/env bash
# The certificates docker-compose.yml mounts, from the local CA (ops/pki.sh, in $VMFLOW_PKI):
#   ops/compose/pki.sh [--address IP ...] [HOST_ID[=IP] ...]
# issues the broker's (kafka-1), the registry's, the coordinator's (coordinator-1) and the admin's
# principals, naming 127.0.0.1 and every --address (the control plane's address that hosts reach), and
# each host's agent and relay (ops/pki.sh hosts: IP is the address its relay is reached at; default
# host-1), then copies them to $VMFLOW_PKI_DIR
# (default .vmflow/compose/pki) owned by the images' user (uid 10001) and, with the public key that
# checks the API's bearer tokens (`vmflow token --init`), to $VMFLOW_JWT_KEYS (.vmflow/compose/jwt-keys.pem).
# Copy only a host's agent.ID and relay.ID directories to that host. Run again to renew.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

addresses=(127.0.0.1)
hosts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --address) [ $# -ge 2 ] || die "--address needs an IP"; addresses+=("$2"); shift 2 ;;
    -*) die "usage: ops/compose/pki.sh [--address IP ...] [HOST_ID[=IP] ...]" ;;
    *) hosts+=("$1"); shift ;;
  esac
done
[ ${#hosts[@]} -gt 0 ] || hosts=(host-1)
out="${VMFLOW_PKI_DIR:-$VMFLOW_ROOT/.vmflow/compose/pki}"
jwt="${VMFLOW_JWT_KEYS:-$VMFLOW_ROOT/.vmflow/compose/jwt-keys.pem}"

pki() { "$VMFLOW_ROOT/ops/pki.sh" "$VMFLOW_PKI" "$@" > /dev/null; }
pki init
pki issue broker kafka-1 "${addresses[@]}"
pki issue registry registry "${addresses[@]}"
pki issue coordinator coordinator-1 "${addresses[@]}"
pki issue admin vmflow
pki hosts "${hosts[@]}"
principals=(broker.kafka-1 registry.registry coordinator.coordinator-1 admin.vmflow)
for h in "${hosts[@]}"; do principals+=("agent.${h%%=*}" "relay.${h%%=*}"); done

mkdir -p "$out"
chmod 755 "$out"
for p in "${principals[@]}"; do
  rm -rf "$out/$p.new"
  cp -a "$VMFLOW_PKI/$p" "$out/$p.new"
  [ -f "$out/$p.new/crl.pem" ] || cp "$VMFLOW_PKI/crl.pem" "$out/$p.new/crl.pem"
  # the services run as uid 10001 in their images (the relay as root)
  [ "$(id -u)" -ne 0 ] || chown -R 10001:10001 "$out/$p.new"
  rm -rf "$out/$p"
  mv "$out/$p.new" "$out/$p"
done
vmflow_cli_ready
vmflow_cli token --init > /dev/null
cp "$VMFLOW_HOME/auth/jwt-keys.pem" "$jwt"
chmod 644 "$jwt"
say "compose certificates in $out (${principals[*]}), token keys $jwt"
