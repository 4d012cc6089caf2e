# Shared by vmflow's ops scripts: where things are, how to build them, how to wait for them.
# Sourced, not run.

VMFLOW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VMFLOW_HOME="${VMFLOW_HOME:-$VMFLOW_ROOT/.vmflow}"
VMFLOW_KAFKA_PORT="${VMFLOW_KAFKA_PORT:-9092}"
VMFLOW_KAFKA_CONTROLLER_PORT="${VMFLOW_KAFKA_CONTROLLER_PORT:-$((VMFLOW_KAFKA_PORT + 1))}"
VMFLOW_REGISTRY_PORT="${VMFLOW_REGISTRY_PORT:-8081}"
# the local PKI (ops/pki.sh): the CA in $VMFLOW_PKI/ca, one directory per principal beside it
VMFLOW_PKI="${VMFLOW_PKI:-$VMFLOW_HOME/pki}"

# how operators' tools reach test host ID's libvirtd: its URI with the admin principal's certificate
admin_uri() {
  local props="$VMFLOW_HOME/hosts/$1/host.properties"
  [ -f "$props" ] || die "no test host $1 ($props): run ops/hosts/up.sh"
  sed -n 's/^adminUri=//p' "$props"
}
# boot_test_guest NAME ON: boots the 256 MiB test guest (16 MiB working set) on test host ON and waits
# for its first heartbeat; its serial log on host H is then "$VMFLOW_HOME/hosts/H/log/qemu/NAME.serial"
boot_test_guest() {
  local xml="$VMFLOW_HOME/guest/$1.xml" log="$VMFLOW_HOME/hosts/$2/log/qemu/$1.serial" deadline
  "$VMFLOW_ROOT/ops/guest/xml.sh" "$1" 256 ws=16 > "$xml"
  virsh -q -c "$(admin_uri "$2")" create "$xml" > /dev/null
  deadline=$((SECONDS + 60))
  until grep -q '^hb ' "$log" 2> /dev/null; do
    [ $SECONDS -lt $deadline ] || die "the guest printed no heartbeat on $2 within 60 s ($log)"
    sleep 0.5
  done
}
# guest_integrity NAME HOST: the test guest's own verdict on that host, from its serial console after
# two more heartbeats: "intact (hb N, bad 0)", "CORRUPT (bad N)" or "no heartbeat"
guest_integrity() {
  local log="$VMFLOW_HOME/hosts/$2/log/qemu/$1.serial" n bad deadline=$((SECONDS + 30))
  n=$(grep -c '^hb ' "$log" 2> /dev/null) || n=0
  until [ "$(grep -c '^hb ' "$log" 2> /dev/null)" -ge $((n + 2)) ] 2> /dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "no heartbeat"; return; }
    sleep 0.5
  done
  bad=$(grep '^hb ' "$log" | tail -1 | sed 's/.* bad //')
  [ "$bad" = 0 ] && echo "intact (hb $(grep '^hb ' "$log" | tail -1 | cut -d' ' -f2), bad 0)" || echo "CORRUPT (bad $bad)"
}
# the libvirt URI test host ID registers (what requests name as a destination URI)
libvirt_uri() { sed -n 's/^libvirtUri=//p' "$VMFLOW_HOME/hosts/$1/host.properties"; }
say() { printf '[vmflow] %s\n' "$*" >&2; }
die() { printf '[vmflow] error: %s\n' "$*" >&2; exit 1; }

# Maven: the committed wrapper (it fetches Maven from Maven Central when the machine has none).
mvn_cmd() {
  "$VMFLOW_ROOT/mvnw" -B -q "$@"
}

require_java() {
  command -v java >/dev/null || die "java not found: install a JDK 17 or later (e.g. apt-get install openjdk-17-jdk-headless)"
  local v home
  # the JDK's release file says its version without starting a JVM (tens of ms the CLI would pay each run)
  home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" 2> /dev/null)
  [ -n "$v" ] || v=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
  [ "${v%%.*}" -ge 17 ] 2>/dev/null || die "java $v found, vmflow needs 17 or later"
}

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# pid_alive FILE: true when FILE holds the pid of a running process.
pid_alive() {
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# wait_for SECONDS DESCRIPTION LOGFILE PIDFILE COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local seconds=$1 what=$2 log=$3 pidfile=$4
  shift 4
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if ! pid_alive "$pidfile"; then
      tail -n 30 "$log" >&2 || true
      die "$what exited during startup; its log is $log"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 30 "$log" >&2 || true
      die "$what not ready after ${seconds}s; its log is $log"
    fi
    sleep 0.5
  done
}

# stop_pidfile FILE NAME: TERM, then KILL after 30 s; removes FILE.
stop_pidfile() {
  local file=$1 name=$2
  if pid_alive "$file"; then
    local pid
    pid=$(cat "$file")
    say "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name did not stop in 30 s; killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

# build_if_stale MODULE DESCRIPTION: builds a service module (and what it needs) when its jar is
# missing or older than its own sources, the schemas' or the runtime's.
build_if_stale() {
  local module=$1 what=$2
  local jar="$VMFLOW_ROOT/$module/target/vmflow-$module-0.1.0-SNAPSHOT.jar"
  if [ ! -f "$jar" ] || [ -n "$(find "$VMFLOW_ROOT/$module/src/main" "$VMFLOW_ROOT/schemas/src/main" "$VMFLOW_ROOT/runtime/src/main" -newer "$jar" -type f | head -1)" ]; then
    say "building $what"
    (cd "$VMFLOW_ROOT" && mvn_cmd -pl "$module" -am install -DskipTests) || die "building $what failed"
  fi
}

# start_service DESCRIPTION FILES MODULE MAIN READY_URL [VAR=VALUE...]: starts a service's JVM in the
# background with the stack's Kafka and registry and the given settings, its pid in FILES.pid and
# its log in FILES.log, and waits until READY_URL answers. Heap: JAVA_HEAP (default 256m).
start_service() {
  local what=$1 files=$2 module=$3 main=$4 ready=$5 heap=${JAVA_HEAP:-256m}
  shift 5
  env "$@" \
    KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$VMFLOW_KAFKA_PORT" \
    SCHEMA_REGISTRY_URL="$(registry_url)" \
    setsid nohup java -Xmx"$heap" -cp "$VMFLOW_ROOT/$module/target/vmflow-$module-0.1.0-SNAPSHOT.jar:$VMFLOW_ROOT/$module/target/lib/*" \
    "$main" > "$files.log" 2>&1 < /dev/null &
  echo $! > "$files.pid"
  wait_for 120 "$what" "$files.log" "$files.pid" curl -sf "$ready" -o /dev/null
}

# stack_jars_ready: the Kafka broker's jars ($KAFKA_LIBS) and the schema registry's ($REGISTRY_JAR), both
# from Maven Central (ops/stack/kafka, ops/stack/registry), fetched or built once
KAFKA_LIBS="$VMFLOW_ROOT/ops/stack/kafka/target/libs"
REGISTRY_JAR="$VMFLOW_ROOT/ops/stack/registry/target/vmflow-stack-registry-0.1.0-SNAPSHOT-runner.jar"
stack_jars_ready() {
  if [ ! -f "$KAFKA_LIBS/kafka_2.13-4.4.0.jar" ]; then
    say "fetching the Kafka 4.4.0 broker jars from Maven Central (once)"
    mvn_cmd -f "$VMFLOW_ROOT/ops/stack/kafka/pom.xml" dependency:copy-dependencies || die "could not fetch the Kafka broker jars"
  fi
  if [ ! -f "$REGISTRY_JAR" ] || [ "$VMFLOW_ROOT/ops/stack/registry/pom.xml" -nt "$REGISTRY_JAR" ]; then
    say "building Apicurio Registry 2.4.2 from Maven Central (once; a few minutes on a fresh machine)"
    mvn_cmd -f "$VMFLOW_ROOT/ops/stack/registry/pom.xml" package -DskipTests || die "could not build the schema registry"
  fi
}

# docker_ready: a Docker engine that answers. Installs Debian's docker.io when the machine has none and
# starts dockerd (log: $VMFLOW_ROOT/.vmflow/dockerd.log) when none runs; needs root for both. The test
# hosts' bridges stay open across Docker's FORWARD policy (ops/hosts/up.sh).
docker_ready() {
  docker info > /dev/null 2>&1 && return 0
  if ! command -v dockerd > /dev/null; then
    [ "$(id -u)" -eq 0 ] || die "Docker is not installed: install docker.io (needs root)"
    say "installing Debian's docker.io"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io > /dev/null \
      || die "apt-get install docker.io failed"
  fi
  if ! docker info > /dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || die "no Docker engine answers and starting one needs root"
    mkdir -p "$VMFLOW_ROOT/.vmflow"
    say "starting dockerd (log $VMFLOW_ROOT/.vmflow/dockerd.log)"
    setsid nohup dockerd > "$VMFLOW_ROOT/.vmflow/dockerd.log" 2>&1 < /dev/null &
    local deadline=$((SECONDS + 60))
    until docker info > /dev/null 2>&1; do
      [ $SECONDS -lt $deadline ] || die "dockerd did not answer within 60 s: see $VMFLOW_ROOT/.vmflow/dockerd.log"
      sleep 1
    done
  fi
  # the test hosts' bridges, if any, through Docker's FORWARD policy (DROP)
  local br
  for br in vmflow-br0 vmflow-br1; do
    ip link show "$br" > /dev/null 2>&1 && bridge_through_forward "$br"
  done
}

# bridge_through_forward BRIDGE: traffic across the bridge passes iptables FORWARD. Docker (anything
# that loads br_netfilter) sends bridged traffic through FORWARD and sets its policy to DROP.
bridge_through_forward() {
  command -v iptables > /dev/null || return 0
  iptables -C FORWARD -i "$1" -o "$1" -j ACCEPT 2> /dev/null || iptables -I FORWARD -i "$1" -o "$1" -j ACCEPT 2> /dev/null || true
}

# compose ARGS...: Docker Compose, the v2 plugin (docker compose) or Debian's docker-compose 1.29
compose() {
  if docker compose version > /dev/null 2>&1; then
    docker compose "$@"
  elif command -v docker-compose > /dev/null; then
    docker-compose "$@"
  else
    die "Docker Compose is missing: install Debian's docker-compose (or Docker's compose plugin)"
  fi
}

# The vmflow command line, rebuilt when its sources changed.
vmflow_cli_ready() {
  local jar="$VMFLOW_ROOT/ops/target/vmflow-ops-0.1.0-SNAPSHOT.jar"
  if [ ! -f "$jar" ] || [ ! -d "$VMFLOW_ROOT/ops/target/lib" ] || \
     [ -n "$(find "$VMFLOW_ROOT/schemas/src/main" "$VMFLOW_ROOT/runtime/src/main" "$VMFLOW_ROOT/ops/src/main" "$VMFLOW_ROOT/schemas/pom.xml" "$VMFLOW_ROOT/ops/pom.xml" "$VMFLOW_ROOT/pom.xml" -newer "$jar" -type f 2>/dev/null | head -1)" ]; then
    say "building the vmflow command line (ops module)"
    (cd "$VMFLOW_ROOT" && mvn_cmd -pl ops -am install -DskipTests) || die "building the ops module failed"
  fi
}

# agent_libvirt_pki ID PROPS: where host ID's agent finds its certificate for libvirt (pkipath=), issued
# or renewed first; empty when the host's libvirtd is not on TLS (VMFLOW_HOSTS_LIBVIRT=tcp)
agent_libvirt_pki() {
  grep -q '^libvirtUri=qemu+tls:' "$2" || return 0
  "$VMFLOW_ROOT/ops/pki.sh" "$VMFLOW_PKI" issue agent "$1" > /dev/null
  echo "$VMFLOW_PKI/agent.$1/libvirt"
}

# kafka_principal ROLE NAME [IP ...]: the setting that makes a service speak to Kafka as that principal
# (its certificate issued or renewed first, naming the IPs it serves on), or the plaintext development switch when the stack runs so
# registry_base, registry_url: the local schema registry (HTTPS with client certificates unless the
# stack runs with the plaintext switch), and its Confluent-compatible API's root
registry_base() {
  if [ "${VMFLOW_KAFKA_PLAINTEXT:-}" = true ]; then
    echo "http://127.0.0.1:$VMFLOW_REGISTRY_PORT"
  else
    echo "https://127.0.0.1:$VMFLOW_REGISTRY_PORT"
  fi
}
registry_url() { echo "$(registry_base)/apis/ccompat/v7"; }

# use_private_stack NAME KAFKA_PORT REGISTRY_PORT: this script's own stack, in $VMFLOW_ROOT/.vmflow/NAME
# on those ports (the controller on the next one), beside the demo's (the tests, the benchmarks)
use_private_stack() {
  export VMFLOW_HOME="$VMFLOW_ROOT/.vmflow/$1"
  export VMFLOW_PKI="$VMFLOW_HOME/pki"
  export VMFLOW_KAFKA_PORT="$2"
  export VMFLOW_KAFKA_CONTROLLER_PORT="$(($2 + 1))"
  export VMFLOW_REGISTRY_PORT="$3"
  export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$VMFLOW_KAFKA_PORT"
  export SCHEMA_REGISTRY_URL="$(registry_url)"
}

# registry_curl ARGS...: curl to the local registry as the stack's admin (its certificate, the CA)
registry_curl() {
  if [ "${VMFLOW_KAFKA_PLAINTEXT:-}" = true ]; then
    curl "$@"
  else
    local p="$VMFLOW_PKI/admin.vmflow"
    curl --cacert "$p/ca.crt" --cert "$p/cert.pem" --key "$p/key.pem" "$@"
  fi
}

# dashboard_scheme: how the local coordinator serves its HTTP API (https unless Kafka runs plaintext)
dashboard_scheme() {
  if [ "${VMFLOW_KAFKA_PLAINTEXT:-}" = true ]; then echo http; else echo https; fi
}

kafka_principal() {
  if [ "${VMFLOW_KAFKA_PLAINTEXT:-}" = true ]; then
    echo "VMFLOW_KAFKA_PLAINTEXT=true"
  else
    "$VMFLOW_ROOT/ops/pki.sh" "$VMFLOW_PKI" issue "$@" > /dev/null
    echo "VMFLOW_KAFKA_TLS_DIR=$VMFLOW_PKI/$1.$2"
  fi
}

# grant_hosts: the Kafka ACLs of every test host's agent and relay (vmflow setup --hosts, as the admin)
grant_hosts() {
  [ "${VMFLOW_KAFKA_PLAINTEXT:-}" = true ] && return
  local ids
  ids=$(sed -n 's/^id=//p' "$VMFLOW_HOME"/hosts/*/host.properties 2> /dev/null | paste -sd, -)
  [ -n "$ids" ] || return 0
  vmflow_cli_ready
  vmflow_cli setup --hosts "$ids" > /dev/null || die "granting the hosts' principals their ACLs failed"
}

# The command line speaks to Kafka as the local admin unless VMFLOW_KAFKA_TLS_DIR names another principal
vmflow_cli() {
  local who=VMFLOW_KAFKA_PLAINTEXT=true
  if [ -n "${VMFLOW_KAFKA_TLS_DIR:-}" ]; then
    who="VMFLOW_KAFKA_TLS_DIR=$VMFLOW_KAFKA_TLS_DIR"
  elif [ "${VMFLOW_KAFKA_PLAINTEXT:-}" != true ]; then
    who="VMFLOW_KAFKA_TLS_DIR=$VMFLOW_PKI/admin.vmflow"
  fi
  # a command line lives seconds: C1 only and the serial collector start it faster, and a class-data
  # sharing archive saves loading and verifying its classes. A static archive (JDK and vmflow classes),
  # not a dynamic one: JDK 17's dynamic archives leave out classes of class-file version 49, and picocli
  # is built for Java 5 (about 70 ms of each start). An archive holds what one run loaded, so each
  # subcommand has its own (the read commands load no Kafka client, migrate does): a subcommand's first
  # run per build of the jar (not --help or --version) lists the classes it loads, and the archive is
  # dumped from that list after it, in the background (2-3 s the command does not wait for); a new
  # build's first run deletes the old build's
  local jar="$VMFLOW_ROOT/ops/target/vmflow-ops-0.1.0-SNAPSHOT.jar" cds=() archive stamp rc=0 trains=1 a
  local cp="$jar:$VMFLOW_ROOT/ops/target/lib/*" tmp
  stamp=$(stat -c %Y "$jar" 2> /dev/null || echo 0)
  archive="$VMFLOW_HOME/cli-cds/$stamp-$(printf '%s' "${1:-none}" | tr -c 'a-z-' '_').jsa"
  tmp="$archive.$BASHPID"
  for a in "$@"; do case "$a" in -h | --help | -V | --version | help) trains=0 ;; esac; done
  [ $# -gt 0 ] || trains=0
  if [ "${VMFLOW_CLI_CDS:-true}" = true ] && mkdir -p "$VMFLOW_HOME/cli-cds" 2> /dev/null; then
    if [ -f "$archive" ]; then
      cds=(-XX:SharedArchiveFile="$archive" -Xlog:cds=off)
    elif [ $trains -eq 1 ]; then
      find "$VMFLOW_HOME/cli-cds" -name "*.jsa" ! -name "$stamp-*" -delete 2> /dev/null || true
      cds=(-XX:DumpLoadedClassList="$tmp.classes")
    fi
  fi
  env "$who" VMFLOW_HOME="$VMFLOW_HOME" java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData "${cds[@]}" \
    -cp "$cp" io.vmflow.ops.cli.VmflowCli "$@" || rc=$?
  if [ -s "$tmp.classes" ]; then
    (java -Xshare:dump -XX:SharedClassListFile="$tmp.classes" -XX:SharedArchiveFile="$tmp" -Xlog:cds=off \
      -cp "$cp" && mv -f "$tmp" "$archive"
      rm -f "$tmp.classes" "$tmp") > /dev/null 2>&1 < /dev/null &
  else
    rm -f "$tmp.classes"
  fi
  return $rc
}
