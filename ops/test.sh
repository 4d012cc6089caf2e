#!/usr/bin/env bash
# The README's test command. From nothing but a JDK 17 and network access to Maven Central: builds
# vmflow, starts a private stack for the tests (real Kafka + real registry on ports of their own,
# data in .vmflow/test, wiped first), runs the unit tests (surefire, *Test) and the integration tests
# (failsafe, *IT) against it, and stops everything it started, also on failure or Ctrl-C.
# Extra arguments go to Maven, e.g. ops/test.sh -Dit.test=DeadLetterIT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export VMFLOW_HOME="$VMFLOW_ROOT/.vmflow/test"
export VMFLOW_KAFKA_PORT="${VMFLOW_TEST_KAFKA_PORT:-19092}"
export VMFLOW_KAFKA_CONTROLLER_PORT="$((VMFLOW_KAFKA_PORT + 1))"
export VMFLOW_REGISTRY_PORT="${VMFLOW_TEST_REGISTRY_PORT:-18081}"
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$VMFLOW_KAFKA_PORT"
export SCHEMA_REGISTRY_URL="http://127.0.0.1:$VMFLOW_REGISTRY_PORT/apis/ccompat/v7"

require_java
# a previous run that was killed may have left its stack behind
"$VMFLOW_ROOT/ops/stack/down.sh" --purge > /dev/null 2>&1 || true
trap '"$VMFLOW_ROOT/ops/stack/down.sh" --purge' EXIT

say "starting the test stack (Kafka $KAFKA_BOOTSTRAP_SERVERS, registry $SCHEMA_REGISTRY_URL)"
"$VMFLOW_ROOT/ops/stack/up.sh"

say "running unit and integration tests"
cd "$VMFLOW_ROOT"
# the tests find the stack through KAFKA_BOOTSTRAP_SERVERS / SCHEMA_REGISTRY_URL, exported above
./mvnw -B verify "$@"
