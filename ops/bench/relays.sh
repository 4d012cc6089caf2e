#!/usr/bin/env bash
# The relay benchmark (a program that prints figures, not a test): pushes a stream through two hops
# of each kind, alternating kinds round after round on this machine, and prints throughput (GB/s)
# and the CPU the two hops used per GB, as medians, with ratios:
#   socat-plain   two plain socat hops (the unencrypted ceiling)
#   ssh-gcm       an SSH port forward, aes128-gcm@openssh.com (as Proxmox tunnels migrations)
#   socat-tls     two socat OPENSSL hops (TLS 1.3)
#   stunnel       a stunnel pair (TLS 1.3, AES-128-GCM)
#   vmflow        two vmflow relays (TLS 1.3, mutual authentication, framed streams), each with
#                 its own Vert.x (as on two hosts), in one JVM
# Generator (socat reading /dev/zero) and sink (socat writing /dev/null), both with 128 KiB buffers,
# are the same for all and are not counted in the CPU figures; they share the machine's cores with
# the hops, so they are kept cheap (a `head | socat` generator and an 8 KiB-buffer sink took more
# CPU than the hops and capped every kind near the same figure). The vmflow relay pair is started
# once and first carries VMFLOW_BENCH_WARM_GIB (default 8) unmeasured GiB: relays run for months,
# and the JIT compiles their data path in the first GiB. Usage: ops/bench/relays.sh [GIB_PER_RUN=2]
# [ROUNDS=5]; VMFLOW_BENCH_RELAY_JAVA_OPTS adds JVM options to the relay pair's JVM (e.g.
# -XX:StartFlightRecording=filename=FILE,settings=profile to see where the cold relay's time goes).
# Needs root (an accounting cgroup), socat, stunnel4, openssh-server (installed when missing).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

gib=${1:-2}
rounds=${2:-5}
bytes=$((gib * 1073741824))
IN=26000 MID=26001 SINK=26002 SSHD=26003 VM_IN=26004
warm_streams=${VMFLOW_BENCH_WARM_GIB:-8} # GiB streamed through the vmflow relay pair before it is measured
work=$(mktemp -d /tmp/vmflow-bench.XXXXXX)
CG=/sys/fs/cgroup/cpuacct/vmflow-bench
CG_VM=/sys/fs/cgroup/cpuacct/vmflow-bench-relays # the vmflow pair runs through all rounds: its own accounting
[ "$(id -u)" -eq 0 ] || die "the benchmark accounts CPU in a cgroup: run it as root"
missing=()
command -v socat > /dev/null || missing+=(socat)
command -v stunnel4 > /dev/null || missing+=(stunnel4)
command -v sshd > /dev/null || [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v bc > /dev/null || missing+=(bc)
command -v ss > /dev/null || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi
[ -d /sys/fs/cgroup/cpuacct ] || die "no cgroup v1 cpuacct hierarchy here: CPU per GB cannot be measured"
mkdir -p "$CG" "$CG_VM"
require_java
JAR="$VMFLOW_ROOT/transport-relay-service/target/vmflow-transport-relay-service-0.1.0-SNAPSHOT.jar"
if [ ! -f "$JAR" ] || [ -n "$(find "$VMFLOW_ROOT/transport-relay-service/src" -newer "$JAR" -type f | head -1)" ]; then
  (cd "$VMFLOW_ROOT" && mvn_cmd -pl transport-relay-service -am install -DskipTests) || die "building the relay failed"
fi

pids=()
vm_pid=""
cleanup() {
  for p in "${pids[@]}" $vm_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rmdir "$CG" "$CG_VM" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# in_cg CMD...: runs CMD in the background inside the accounting cgroup
in_cg() {
  bash -c 'echo $$ > '"$CG"'/cgroup.procs; exec "$@"' _ "$@" &
  pids+=($!)
}
usage_ns() { echo $(($(cat "$CG/cpuacct.usage") + $(cat "$CG_VM/cpuacct.usage"))); }
# wait_port PORT: until something listens there (without connecting: most hops serve one connection)
listening() { ss -Htln "sport = :$1" | grep -q .; }
wait_port() { for _ in $(seq 1 100); do listening "$1" && return 0; sleep 0.1; done; die "nothing listens on $1"; }

"$VMFLOW_ROOT/ops/pki.sh" "$work/pki" hosts hostA=127.0.0.1 hostB=127.0.0.1 > /dev/null
P=$work/pki
cat "$P/relay.hostA/cert.pem" "$P/relay.hostA/key.pem" > "$P/hostA.pem"
cat "$P/relay.hostB/cert.pem" "$P/relay.hostB/key.pem" > "$P/hostB.pem"

# --- per-kind setup (long-running hops) and per-run hops ---
setup_ssh() {
  mkdir -p /run/sshd "$work/ssh"
  ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/host" <<< y > /dev/null
  ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/client" <<< y > /dev/null
  cp "$work/ssh/client.pub" "$work/ssh/authorized_keys"
  cat > "$work/ssh/sshd_config" <<CONF
Port $SSHD
ListenAddress 127.0.0.1
HostKey $work/ssh/host
AuthorizedKeysFile $work/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
UsePAM no
StrictModes no
PidFile $work/ssh/sshd.pid
Ciphers aes128-gcm@openssh.com
AllowTcpForwarding yes
CONF
  in_cg /usr/sbin/sshd -D -e -f "$work/ssh/sshd_config"
  wait_port $SSHD
  in_cg ssh -N -q -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -i "$work/ssh/client" \
    -c aes128-gcm@openssh.com -L "$IN:127.0.0.1:$SINK" -p $SSHD root@127.0.0.1
  wait_port $IN
}
setup_stunnel() {
  cat > "$work/stunnel-a.conf" <<CONF
foreground = yes
debug = 3
output = /dev/null
pid =
[a]
client = yes
accept = 127.0.0.1:$IN
connect = 127.0.0.1:$MID
cert = $P/relay.hostA/cert.pem
key = $P/relay.hostA/key.pem
CAfile = $P/ca/ca.crt
verifyChain = yes
sslVersionMin = TLSv1.3
ciphersuites = TLS_AES_128_GCM_SHA256
CONF
  cat > "$work/stunnel-b.conf" <<CONF
foreground = yes
debug = 3
output = /dev/null
pid =
[b]
accept = 127.0.0.1:$MID
connect = 127.0.0.1:$SINK
cert = $P/relay.hostB/cert.pem
key = $P/relay.hostB/key.pem
CAfile = $P/ca/ca.crt
verifyChain = yes
requireCert = yes
sslVersionMin = TLSv1.3
ciphersuites = TLS_AES_128_GCM_SHA256
CONF
  in_cg stunnel4 "$work/stunnel-b.conf"
  in_cg stunnel4 "$work/stunnel-a.conf"
  wait_port $MID
  wait_port $IN
}
setup_vmflow() { # once: relays run for months, so the pair is warmed and then measured every round
  vm_streams=0
  # shellcheck disable=SC2086 # VMFLOW_BENCH_RELAY_JAVA_OPTS: extra JVM options, e.g. a flight recording
  bash -c 'echo $$ > '"$CG_VM"'/cgroup.procs; exec "$@"' _ java -Xmx1g ${VMFLOW_BENCH_RELAY_JAVA_OPTS:-} \
    -cp "$JAR:$VMFLOW_ROOT/transport-relay-service/target/test-classes:$VMFLOW_ROOT/transport-relay-service/target/lib/*" \
    io.vmflow.relay.bench.RelayPair \
    "$P" $VM_IN $SINK $((warm_streams + rounds)) > "$work/vmflow.log" 2>&1 &
  vm_pid=$!
  for _ in $(seq 1 300); do grep -q READY "$work/vmflow.log" && break; sleep 0.1; done
  grep -q READY "$work/vmflow.log" || { cat "$work/vmflow.log" >&2; die "the vmflow relay pair did not start"; }
  say "vmflow: $(grep -m1 'TLS engine' "$work/vmflow.log" || true); warming it with $warm_streams GiB"
  # unmeasured streams first, until the JIT compiled the data path: on 2 busy cores that takes several
  # GiB (the first GiB run at ~0.3 GB/s, see the relay's README)
  for _ in $(seq 1 "$warm_streams"); do warm vmflow; done
}
per_run() { # KIND: hops that serve exactly one connection
  case $1 in
    socat-plain)
      in_cg socat -b 131072 TCP-LISTEN:$MID,reuseaddr TCP:127.0.0.1:$SINK
      wait_port $MID
      in_cg socat -b 131072 TCP-LISTEN:$IN,reuseaddr TCP:127.0.0.1:$MID
      wait_port $IN ;;
    socat-tls)
      in_cg socat -b 131072 OPENSSL-LISTEN:$MID,reuseaddr,cert=$P/hostB.pem,cafile=$P/ca/ca.crt,verify=1 TCP:127.0.0.1:$SINK
      wait_port $MID
      in_cg socat -b 131072 TCP-LISTEN:$IN,reuseaddr OPENSSL:127.0.0.1:$MID,cert=$P/hostA.pem,cafile=$P/ca/ca.crt,verify=1,commonname=127.0.0.1
      wait_port $IN ;;
    vmflow) # the pair opens one session per stream: wait until the last stream ended and the next session is open
      for _ in $(seq 1 300); do
        [ "$(grep -c '^stream ' "$work/vmflow.log" || true)" -ge "$vm_streams" ] && \
          [ "$(grep -c '^READY' "$work/vmflow.log")" -gt "$vm_streams" ] && break
        sleep 0.1
      done
      vm_streams=$((vm_streams + 1)) ;;
  esac
}
one_stream() { # BYTES PORT: generator -> PORT ... SINK; prints seconds
  socat -u -b 131072 TCP-LISTEN:$SINK,reuseaddr OPEN:/dev/null &
  local sink=$!
  wait_port $SINK
  local s e
  s=$(date +%s.%N)
  socat -u -b 131072 OPEN:/dev/zero,readbytes="$1" TCP:127.0.0.1:"$2"
  wait $sink
  e=$(date +%s.%N)
  echo "$e - $s" | bc
}
in_port() { if [ "$1" = vmflow ]; then echo $VM_IN; else echo $IN; fi; }
warm() { per_run "$1"; one_stream 1073741824 "$(in_port "$1")" > /dev/null; }

kinds=(socat-plain ssh-gcm socat-tls stunnel vmflow)
declare -A gbps cpu
say "benchmark: $gib GiB per run, $rounds rounds, kinds alternating: ${kinds[*]}"
for k in "${kinds[@]}"; do gbps[$k]=""; cpu[$k]=""; done
setup_vmflow
ratios="" # per round: vmflow / that round's fastest encrypted alternative
for ((r = 1; r <= rounds; r++)); do
  for k in "${kinds[@]}"; do
    # the other kinds' long-running hops start fresh each round
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
    case $k in
      ssh-gcm) setup_ssh ;;
      stunnel) setup_stunnel ;;
    esac
    per_run "$k"
    before=$(usage_ns)
    secs=$(one_stream "$bytes" "$(in_port "$k")")
    sleep 0.3
    after=$(usage_ns)
    gb=$(echo "scale=6; $bytes / 1000000000" | bc)
    rate=$(echo "scale=3; $gb / $secs" | bc)
    cpg=$(echo "scale=3; ($after - $before) / 1000000000 / $gb" | bc)
    gbps[$k]="${gbps[$k]} $rate"
    cpu[$k]="${cpu[$k]} $cpg"
    case $k in
      socat-plain) round_best=0 ;;
      vmflow) ratios="$ratios $(echo "scale=3; $rate / $round_best" | bc)" ;;
      *) [ "$(echo "$rate > $round_best" | bc)" = 1 ] && round_best=$rate ;;
    esac
    printf '[vmflow] round %d %-12s %6s GB/s  %6s CPU-s/GB\n' "$r" "$k" "$rate" "$cpg" >&2
  done
done
for p in "${pids[@]}" $vm_pid; do kill "$p" 2>/dev/null || true; done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo
echo "Relay benchmark on $(nproc) cores, $(uname -r), $gib GiB per run, median of $rounds alternating rounds"
printf '%-12s %10s %14s\n' kind "GB/s" "CPU-s per GB"
best_enc=""; best_enc_rate=0
for k in "${kinds[@]}"; do
  m=$(echo "${gbps[$k]}" | median); c=$(echo "${cpu[$k]}" | median)
  printf '%-12s %10s %14s\n' "$k" "$m" "$c"
  eval "med_$(echo "$k" | tr '-' '_')=$m; cpu_$(echo "$k" | tr '-' '_')=$c"
  if [ "$k" != socat-plain ] && [ "$k" != vmflow ] && [ "$(echo "$m > $best_enc_rate" | bc)" = 1 ]; then
    best_enc=$k; best_enc_rate=$m
  fi
done
bk=$(echo "$best_enc" | tr '-' '_')
eval "best_cpu=\$cpu_$bk"
echo
echo "vmflow / best encrypted alternative ($best_enc): throughput $(echo "scale=2; $med_vmflow / $best_enc_rate" | bc)x, CPU per GB $(echo "scale=2; $cpu_vmflow / $best_cpu" | bc)x"
echo "vmflow / plain socat ceiling: throughput $(echo "scale=2; $med_vmflow / $med_socat_plain" | bc)x"
rs=$(echo "$ratios" | tr ' ' '\n' | grep -v '^$' | sort -n | tr '\n' ' ')
echo "per round, vmflow / that round's fastest encrypted alternative: $rs(median $(echo "$ratios" | median)x)"
