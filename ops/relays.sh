#!/usr/bin/env bash
# Starts (or stops) one transport relay per test host made by ops/hosts/up.sh, each in its own JVM,
# with a development CA and relay certificates from ops/pki.sh under $VMFLOW_PKI, logs in
# $VMFLOW_HOME/relays/<id>.log, management ports 9281, 9282, ... and TLS ports 7441, 7442, ...
#   ops/relays.sh up | down
# The relays run beside the test hosts (in the machine's own network namespace): each host's
# hypervisor reaches its relay through unix sockets in the host's /run/libvirt/vmflow-relay (which is
# $VMFLOW_HOME/hosts/<id>/run/vmflow-relay outside), the relays reach each other over TLS on
# 127.0.0.1. On real hosts a relay listens on the host's own address, one port (VMFLOW_RELAY_LISTEN).
# Needs the stack (ops/stack/up.sh) and the hosts (ops/hosts/up.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RELAYS_DIR="$VMFLOW_HOME/relays"

case "${1:-}" in
  up)
    require_java
    build_if_stale transport-relay-service "the transport relay"
    mkdir -p "$RELAYS_DIR"
    grant_hosts
    i=1
    found=0
    for props in "$VMFLOW_HOME"/hosts/*/host.properties; do
      [ -f "$props" ] || continue
      found=1
      id=$(sed -n 's/^id=//p' "$props")
      dir=$(sed -n 's/^dir=//p' "$props")
      "$VMFLOW_ROOT/ops/pki.sh" "$VMFLOW_PKI" issue relay "$id" 127.0.0.1
      tls_port=$((7440 + i))
      mgmt_port=$((9280 + i))
      echo "127.0.0.1:$tls_port" > "$RELAYS_DIR/$id.endpoint"
      if pid_alive "$RELAYS_DIR/$id.pid"; then
        say "$id: relay already running (pid $(cat "$RELAYS_DIR/$id.pid"))"
      else
        say "$id: starting its transport relay (TLS 127.0.0.1:$tls_port, log $RELAYS_DIR/$id.log, management http://127.0.0.1:$mgmt_port)"
        # a heap above 512 MiB: below, Netty's allocator pools no large buffer (see the relay's README)
        JAVA_HEAP=1g start_service "the relay of $id" "$RELAYS_DIR/$id" transport-relay-service io.vmflow.relay.Main \
          "http://127.0.0.1:$mgmt_port/ready" \
          VMFLOW_RELAY_HOST_ID="$id" \
          VMFLOW_RELAY_LISTEN="127.0.0.1:$tls_port" \
          VMFLOW_RELAY_SOCKET_DIR="$dir/run/vmflow-relay" \
          VMFLOW_RELAY_TLS_DIR="$VMFLOW_PKI/relay.$id" "$(kafka_principal relay "$id")" \
          VMFLOW_RELAY_MANAGEMENT="127.0.0.1:$mgmt_port" \
          VMFLOW_RELAY_DRAIN_SECONDS="${VMFLOW_RELAY_DRAIN_SECONDS:-20}"
      fi
      i=$((i + 1))
    done
    [ $found -eq 1 ] || die "no test hosts under $VMFLOW_HOME/hosts: run ops/hosts/up.sh first"
    ;;
  down)
    for pidfile in "$RELAYS_DIR"/*.pid; do
      [ -f "$pidfile" ] || continue
      stop_pidfile "$pidfile" "the relay of $(basename "$pidfile" .pid)"
    done
    rm -f "$RELAYS_DIR"/*.endpoint
    ;;
  *)
    die "usage: ops/relays.sh up | down"
    ;;
esac
