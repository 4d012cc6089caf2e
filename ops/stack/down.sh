#!/usr/bin/env bash
# Stops what ops/stack/up.sh started. Idempotent. --purge also deletes the data ($VMFLOW_HOME).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

stop_pidfile "$VMFLOW_HOME/registry/registry.pid" "the schema registry"
stop_pidfile "$VMFLOW_HOME/kafka/kafka.pid" "Kafka"
if [ "${1:-}" = "--purge" ]; then
  say "deleting $VMFLOW_HOME"
  rm -rf "$VMFLOW_HOME"
fi
say "stack stopped"
