#!/usr/bin/env bash
# Stops what ops/stack/up.sh started. Idempotent. --purge also deletes their data
# ($VMFLOW_HOME/kafka and $VMFLOW_HOME/registry; the test hosts' state is ops/hosts/down.sh --purge's).
# --only kafka|registry stops that one alone (an outage, for the tests); ops/stack/up.sh starts it again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# every Kafka node: the only one, or the three of VMFLOW_KAFKA_BROKERS=3
stop_kafka() {
  local pidfile
  # every node at once: a node left alone after the others stopped has no quorum and waits for one
  for pidfile in "$VMFLOW_HOME"/kafka/node-*/kafka.pid "$VMFLOW_HOME/kafka/kafka.pid"; do
    if pid_alive "$pidfile"; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
  done
  for pidfile in "$VMFLOW_HOME"/kafka/node-*/kafka.pid; do
    [ -f "$pidfile" ] && stop_pidfile "$pidfile" "Kafka node $(basename "$(dirname "$pidfile")" | sed 's/node-//')"
  done
  stop_pidfile "$VMFLOW_HOME/kafka/kafka.pid" "Kafka"
}

if [ "${1:-}" = "--only" ]; then
  case "${2:-}" in
    registry) stop_pidfile "$VMFLOW_HOME/registry/registry.pid" "the schema registry" ;;
    kafka) stop_kafka ;;
    *) die "usage: ops/stack/down.sh [--purge | --only kafka|registry]" ;;
  esac
  exit 0
fi
stop_pidfile "$VMFLOW_HOME/registry/registry.pid" "the schema registry"
stop_kafka
if [ "${1:-}" = "--purge" ]; then
  say "deleting $VMFLOW_HOME/kafka and $VMFLOW_HOME/registry"
  rm -rf "$VMFLOW_HOME/kafka" "$VMFLOW_HOME/registry"
fi
say "stack stopped"
