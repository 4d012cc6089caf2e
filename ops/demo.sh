#!/usr/bin/env bash
# The README's first command: the main job on the embedded default. Starts the local stack (real
# Kafka, real schema registry; left running, stop it with ops/stack/down.sh) and proves it end to end
# with a round trip of events through the registry in the Confluent wire format, then prints them.
# (Live-migrating a test guest joins this command when the host agent and coordinator land.)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$VMFLOW_ROOT/ops/stack/up.sh"
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$VMFLOW_KAFKA_PORT"
export SCHEMA_REGISTRY_URL="http://127.0.0.1:$VMFLOW_REGISTRY_PORT/apis/ccompat/v7"
echo
vmflow_cli roundtrip
