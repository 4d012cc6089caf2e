#!/usr/bin/env bash
# Builds vmflow's images from nothing but Debian's archive and Maven Central (no image registry):
#   vmflow/base:bookworm    Debian 12 minbase, made by debootstrap and imported (once; --base remakes it)
#   vmflow/jre:17           + OpenJDK 17's runtime, curl, the user vmflow (uid 10001)
#   vmflow/kafka            the Kafka 4.4.0 broker (KRaft) from its Maven jars, vmflow's principal builder
#   vmflow/registry         Apicurio Registry 2.4.2, schemas on a volume
#   vmflow/coordinator, vmflow/agent, vmflow/relay, vmflow/cli   the services from this build
#   vmflow/prometheus       Debian's Prometheus
# All but base and jre are tagged ${VMFLOW_IMAGE_TAG:-local} (what docker-compose.yml runs). Builds the
# jars first when stale. Needs a Docker engine (started, or docker.io installed, when root).
#   ops/images/build.sh [--base] [IMAGE ...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

TAG="${VMFLOW_IMAGE_TAG:-local}"
HERE="$VMFLOW_ROOT/ops/images"
STAGE="$VMFLOW_ROOT/.vmflow/images"
export DOCKER_BUILDKIT=0 # the legacy builder: Debian's engine has no buildx
remake_base=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --base) remake_base=1 ;;
    kafka | registry | coordinator | agent | relay | cli | prometheus) wanted+=("$arg") ;;
    *) die "usage: ops/images/build.sh [--base] [kafka|registry|coordinator|agent|relay|cli|prometheus ...]" ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=(kafka registry coordinator agent relay cli prometheus)

docker_ready

# build NAME DOCKERFILE CONTEXT [--build-arg ...]: one image, quietly, its log kept when it fails
# every image built here carries this label, so the ones a rebuild replaced can be removed (below)
LABEL=org.vmflow.built-by=ops/images/build.sh
build() {
  local name=$1 file=$2 context=$3 log started=$SECONDS
  log="$STAGE/$(basename "${1%%:*}").build.log"
  shift 3
  if ! docker build -q -f "$file" -t "$name" --label "$LABEL" "$@" "$context" > "$log" 2>&1; then
    tail -30 "$log" >&2
    die "building the image $name failed (log: $log)"
  fi
  say "image $name ($((SECONDS - started)) s)"
}

# stage NAME FILE...: a build context of only these files (hard links), so nothing else is sent
stage() {
  local dir="$STAGE/$1"
  shift
  rm -rf "$dir"
  mkdir -p "$dir"
  local f
  for f in "$@"; do cp -al "$f" "$dir/" 2> /dev/null || cp -a "$f" "$dir/"; done
  echo "$dir"
}
mkdir -p "$STAGE"

if [ $remake_base -eq 1 ] || ! docker image inspect vmflow/base:bookworm > /dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || die "making the base image needs root (debootstrap)"
  command -v debootstrap > /dev/null || {
    say "installing debootstrap"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap > /dev/null
  }
  # the machine's own Debian mirror
  mirror=$(sed -n 's/^URIs: *\(.*debian\/*\)$/\1/p' /etc/apt/sources.list.d/*.sources 2> /dev/null | head -1)
  mirror=${mirror:-http://deb.debian.org/debian}
  rootfs="$STAGE/rootfs"
  rm -rf "$rootfs"
  say "making vmflow/base:bookworm with debootstrap from $mirror (once; about a minute)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$STAGE/debootstrap.log" 2>&1 \
    || { tail -20 "$STAGE/debootstrap.log" >&2; die "debootstrap failed (log: $STAGE/debootstrap.log)"; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import -c 'CMD ["/bin/bash"]' - vmflow/base:bookworm > /dev/null
  rm -rf "$rootfs"
  say "image vmflow/base:bookworm"
  remake_base=1
fi
if [ $remake_base -eq 1 ] || ! docker image inspect vmflow/jre:17 > /dev/null 2>&1; then
  build vmflow/jre:17 "$HERE/jre.Dockerfile" "$(stage jre "$HERE/jre.Dockerfile")"
fi

stack_jars_ready
service_jar() { echo "$VMFLOW_ROOT/$1/target/vmflow-$1-0.1.0-SNAPSHOT.jar"; }
# service NAME MODULE MAIN DEFAULT_MANAGEMENT [--build-arg ...] (no management address: no health to ask)
service() {
  local name=$1 module=$2 main=$3 management=$4 dir
  shift 4
  dir=$(stage "$name" "$HERE/service.Dockerfile" "$HERE/ready.sh" "$VMFLOW_ROOT/$module/target/lib")
  cp -al "$(service_jar "$module")" "$dir/app.jar"
  build "vmflow/$name:$TAG" "$HERE/service.Dockerfile" "$dir" --build-arg MAIN="$main" \
    --build-arg DEFAULT_MANAGEMENT="$management" "$@"
}
for image in "${wanted[@]}"; do
  case "$image" in
    kafka)
      dir=$(stage kafka "$HERE/kafka.Dockerfile" "$HERE/kafka-start.sh" "$VMFLOW_ROOT/ops/stack/kafka-properties.sh" "$KAFKA_LIBS")
      build_if_stale runtime "the runtime library"
      cp -al "$(service_jar runtime)" "$dir/libs/"
      build "vmflow/kafka:$TAG" "$HERE/kafka.Dockerfile" "$dir" ;;
    registry)
      dir=$(stage registry "$HERE/registry.Dockerfile" "$HERE/registry-start.sh" "$(dirname "$REGISTRY_JAR")/lib")
      cp -al "$REGISTRY_JAR" "$dir/registry.jar"
      build "vmflow/registry:$TAG" "$HERE/registry.Dockerfile" "$dir" ;;
    coordinator)
      build_if_stale coordinator-service "the coordinator"
      service coordinator coordinator-service io.vmflow.coordinator.Main 127.0.0.1:9081 ;;
    agent)
      # libvirt-java calls libvirt's client library
      build_if_stale host-agent-service "the host agent"
      service agent host-agent-service io.vmflow.agent.Main 127.0.0.1:9181 --build-arg PACKAGES=libvirt0 ;;
    relay)
      # root: it makes the per-session unix sockets in a directory it shares with the host's QEMU
      build_if_stale transport-relay-service "the transport relay"
      service relay transport-relay-service io.vmflow.relay.Main 127.0.0.1:9281 --build-arg RUN_AS=root ;;
    cli)
      vmflow_cli_ready
      service cli ops io.vmflow.ops.cli.VmflowCli "" ;;
    prometheus)
      build "vmflow/prometheus:$TAG" "$HERE/prometheus.Dockerfile" "$(stage prometheus "$HERE/prometheus.Dockerfile")" ;;
  esac
done
# a rebuild leaves the image it replaced untagged: remove those (only this script's, by its label)
docker image prune -f --filter "label=$LABEL" > /dev/null
