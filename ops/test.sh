#!/usr/bin/env bash
# The README's test command. From nothing but a JDK 17, root and network access to Maven Central and
# Debian: builds vmflow, starts a private stack for the tests (real Kafka + real registry on ports of
# their own, data in .vmflow/test, wiped first) and two real libvirt test hosts (installing libvirt
# and QEMU from Debian when missing), runs the unit tests (surefire, *Test) and the integration tests
# (failsafe, *IT) against them (the dashboard's in Debian's Chromium, installed when missing), and stops everything it started, also on failure or Ctrl-C; then
# checks that the hosts script left nothing running. A full run ends with the crash matrix's broker cells
# on the stack restarted as a three-broker KRaft cluster (docs/crash-matrix.md), and the container pass:
# vmflow's images, the runtime's ITs on Testcontainers, docker-compose.yml's test (below).
# Extra arguments go to Maven, e.g. ops/test.sh -Dit.test=DeadLetterIT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

use_private_stack test "${VMFLOW_TEST_KAFKA_PORT:-19092}" "${VMFLOW_TEST_REGISTRY_PORT:-18081}"

require_java
# the dashboard's browser test drives Debian's Chromium with playwright-core from npm
browser_missing=()
[ -x /usr/bin/chromium ] || browser_missing+=(chromium)
command -v node > /dev/null || browser_missing+=(nodejs)
command -v npm > /dev/null || browser_missing+=(npm)
if [ ${#browser_missing[@]} -gt 0 ]; then
  say "installing ${browser_missing[*]} for the dashboard's browser test"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${browser_missing[@]}" > /dev/null \
    || die "apt-get install ${browser_missing[*]} failed"
fi
cleanup() {
  # service JVMs a test started as child processes (a coordinator to kill -9, a relay) outlive a test
  # JVM that died: none may stay to join the next run's consumer groups
  pkill -f -- "-cp $VMFLOW_ROOT/[^ ]*(coordinator|transport-relay|host-agent)-service/target/" 2>/dev/null || true
  # containers a killed Testcontainers JVM left behind (it runs without its reaper here)
  if docker info > /dev/null 2>&1; then
    docker ps -aq --filter label=org.testcontainers=true | xargs -r docker rm -f > /dev/null 2>&1 || true
  fi
  "$VMFLOW_ROOT/ops/hosts/down.sh" > /dev/null 2>&1 || true
  "$VMFLOW_ROOT/ops/stack/down.sh" --purge
  rm -rf "$VMFLOW_HOME"
}
# a previous run that was killed may have left its stack or hosts behind
cleanup > /dev/null 2>&1 || true
trap cleanup EXIT

# the test hosts' own topics (commands, reports, state) and their principals' ACLs come with the stack
export VMFLOW_HOSTS=hostA,hostB
say "starting the test stack (Kafka $KAFKA_BOOTSTRAP_SERVERS over mutual TLS, registry $SCHEMA_REGISTRY_URL)"
"$VMFLOW_ROOT/ops/stack/up.sh"
# the tests speak to Kafka as the stack's admin; each service they start, as its own principal
# (test-support's TestPki), with its role's ACLs
export VMFLOW_KAFKA_TLS_DIR="$VMFLOW_HOME/pki/admin.vmflow"
say "starting two test hosts with a separate migration network (twice: the second run must find them up)"
"$VMFLOW_ROOT/ops/hosts/up.sh" 2 --migration-network
again="$("$VMFLOW_ROOT/ops/hosts/up.sh" 2 --migration-network 2>&1)"
echo "$again" >&2
[ "$(grep -c 'libvirtd already running' <<< "$again")" = 2 ] || die "a second ops/hosts/up.sh did not find both hosts running"

say "running unit and integration tests"
cd "$VMFLOW_ROOT"
# the tests find everything through KAFKA_BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL and VMFLOW_HOME
./mvnw -B verify "$@"

# no private key or bearer token in any log, test output, stored record or event (ops/secret-scan.sh)
"$VMFLOW_ROOT/ops/secret-scan.sh"

# The crash matrix's broker cells need a cluster that can lose a broker: the stack again, with three
# (a full run only; extra Maven arguments pick tests by hand, e.g. -Dit.test=..., and skip this).
if [ $# -eq 0 ] || [ "${VMFLOW_TEST_BROKER_CELLS:-}" = 1 ]; then
  say "the crash matrix's broker cells, on a three-broker KRaft cluster"
  "$VMFLOW_ROOT/ops/stack/down.sh" --purge > /dev/null
  export VMFLOW_KAFKA_BROKERS=3 VMFLOW_KAFKA_REPLICATION_FACTOR=3
  export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$VMFLOW_KAFKA_PORT,127.0.0.1:$((VMFLOW_KAFKA_PORT + 2)),127.0.0.1:$((VMFLOW_KAFKA_PORT + 4))"
  "$VMFLOW_ROOT/ops/stack/up.sh"
  ./mvnw -B verify -pl coordinator-service -am -Dtest=NONE -Dit.test=CrashMatrixIT -Dmatrix.components=BROKER \
    -Dsurefire.failIfNoSpecifiedTests=false -Dit.failIfNoSpecifiedTests=false -Dspotless.check.skip=true
  "$VMFLOW_ROOT/ops/secret-scan.sh"
fi

# Where a Docker engine runs (installed and started when missing, as root; VMFLOW_TEST_DOCKER=false
# skips this), a full run goes on in containers, on vmflow's images built here (ops/images/build.sh):
# the ITs that need nothing but Kafka and the registry again, on a broker and registry that
# Testcontainers starts (ContainerStack: how a contributor runs them from an IDE), then
# docker-compose.yml's test against the same test hosts (ops/compose/test.sh, which ends with the hosts'
# Debian package under systemd). Extra Maven arguments skip this unless VMFLOW_TEST_DOCKER=true.
# (Every other IT drives the test hosts, or reads what those ITs wrote on the embedded stack.)
CONTAINER_ITS=WireFormatRoundTripIT,ForeignClientIT,DeadLetterIT,SchemaRegistryIT,SetupIT,KafkaAccessIT
if { [ $# -eq 0 ] && [ "${VMFLOW_TEST_DOCKER:-}" != false ]; } || [ "${VMFLOW_TEST_DOCKER:-}" = true ]; then
  if (docker_ready); then
    say "Docker $(docker version -f '{{.Server.Version}}' 2> /dev/null): the container pass (images, Testcontainers, compose)"
    "$VMFLOW_ROOT/ops/stack/down.sh" --purge > /dev/null
    "$VMFLOW_ROOT/ops/images/build.sh"
    say "the Kafka and registry ITs on vmflow's images in containers (Testcontainers)"
    # nothing of the embedded stack's (its address, principal, or the broker cells' three copies)
    env -u KAFKA_BOOTSTRAP_SERVERS -u SCHEMA_REGISTRY_URL -u VMFLOW_KAFKA_TLS_DIR -u VMFLOW_KAFKA_BROKERS \
      -u VMFLOW_KAFKA_REPLICATION_FACTOR ./mvnw -B verify -pl runtime,ops -am \
      -Dtest=NONE -Dit.test="$CONTAINER_ITS" -Dsurefire.failIfNoSpecifiedTests=false -Dit.failIfNoSpecifiedTests=false \
      -Dspotless.check.skip=true
    say "docker-compose.yml: the stack in containers, a native and a tunnelled migration through it"
    "$VMFLOW_ROOT/ops/compose/test.sh"
    say "test paths: the embedded stack (all ITs), containers (the Kafka and registry ITs, the compose test, the Debian package under systemd)"
  else
    # asked for (CI asks): a machine without Docker must not pass as if the pass had run
    [ "${VMFLOW_TEST_DOCKER:-}" != true ] || die "VMFLOW_TEST_DOCKER=true but no Docker engine could be started"
    say "test paths: the embedded stack only; no Docker engine could be started, so the container pass did not run"
  fi
else
  say "test paths: the embedded stack only (the container pass runs in a full run, or with VMFLOW_TEST_DOCKER=true)"
fi

say "stopping the test hosts twice; nothing may be left running"
"$VMFLOW_ROOT/ops/hosts/down.sh"
"$VMFLOW_ROOT/ops/hosts/down.sh"
left="$(ip netns list 2>/dev/null | grep -c '^vmflow-' || true)"
procs="$(pgrep -c -f "$VMFLOW_HOME/guest/|libvirtd --listen --pid-file /run/libvirt" || true)"
if [ "$left" != "0" ] || [ "$procs" != "0" ]; then
  die "the hosts script left $left namespace(s) and $procs process(es) behind"
fi
say "hosts script: up twice, down twice, nothing left running"
