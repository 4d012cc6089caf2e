#!/usr/bin/env bash
# vmflow against `virsh migrate` with the same flags, on the same guest between the same hosts, in the
# same run (a program that prints figures, not a test). One 256 MiB guest rewriting a 16 MiB working
# set is moved back and forth; for each kind a vmflow migration and a virsh one alternate, and each
# round swaps which goes first, so both move the guest both ways. Kinds:
#   direct          vmflow --flow MANAGED_DIRECT           virsh migrate --live (the client drives both)
#   p2p             vmflow --flow MANAGED_PEER_TO_PEER     virsh migrate --live --p2p
#   tls             the same with --tls                    virsh migrate --live --p2p --tls
#   libvirt-tunnel  vmflow --destination-uri --transport TUNNELLED   virsh migrate --live --p2p --tunnelled
#   relay           vmflow --transport TUNNELLED (the vmflow relays) against virsh's libvirt-tunnel
# For each migration: the command's wall time (what a person at a terminal waits: JVM start, request,
# events; `virsh` likewise), the migration's own time (vmflow: first to final event; virsh: its wall
# time) and the downtime (vmflow: its final event; virsh: the destination's completed job, domjobinfo).
# Then per kind the medians with their ranges and the ratios vmflow / virsh.
# Needs the demo stack running (ops/demo.sh) and root.   ops/bench/e2e.sh [ROUNDS=5]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

rounds=${1:-5}
KINDS=(direct p2p tls libvirt-tunnel relay)
[ "$(id -u)" -eq 0 ] || die "run it as root (it boots a guest on the demo's test hosts)"
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$VMFLOW_KAFKA_PORT"
export SCHEMA_REGISTRY_URL="$(registry_url)"
curl -sf "http://127.0.0.1:9081/ready" > /dev/null || die "the demo's coordinator is not ready: run ops/demo.sh first"
vmflow_cli_ready >&2

guest="bench-e2e-$(date +%H%M%S)"
trap 'for h in hostA hostB; do virsh -q -c "$(admin_uri $h)" destroy "$guest" > /dev/null 2>&1 || true; done' EXIT
boot_test_guest "$guest" hostA
serial() { echo "$VMFLOW_HOME/hosts/$1/log/qemu/$guest.serial"; }

now() { date +%s.%N; }
# the guest's verdict on a host once it has printed two more heartbeats there
verdict() {
  local before deadline
  before=$(grep -c '^hb ' "$(serial "$1")" 2> /dev/null || echo 0)
  deadline=$((SECONDS + 30))
  until [ "$(grep -c '^hb ' "$(serial "$1")" 2> /dev/null || echo 0)" -ge $((before + 2)) ] || [ $SECONDS -ge $deadline ]; do
    sleep 0.5
  done
  grep '^hb ' "$(serial "$1")" | tail -1 | sed 's/.* bad //'
}

vmflow_args() { # KIND TO
  case $1 in
    direct) echo "--destination $2 --flow MANAGED_DIRECT" ;;
    p2p) echo "--destination $2 --flow MANAGED_PEER_TO_PEER" ;;
    tls) echo "--destination $2 --flow MANAGED_PEER_TO_PEER --tls" ;;
    libvirt-tunnel) echo "--destination-uri $(libvirt_uri "$2") --flow MANAGED_PEER_TO_PEER --transport TUNNELLED" ;;
    relay) echo "--destination $2 --flow MANAGED_PEER_TO_PEER --transport TUNNELLED" ;;
  esac
}

virsh_run() { # KIND FROM TO: prints "wall own downtime"
  local flags=(--live) dest t0 t1 dt
  dest=$(libvirt_uri "$3")
  case $1 in
    direct) dest=$(admin_uri "$3") ;;
    p2p) flags+=(--p2p) ;;
    tls) flags+=(--p2p --tls) ;;
    libvirt-tunnel | relay) flags+=(--p2p --tunnelled) ;;
  esac
  t0=$(now)
  virsh -q -c "$(admin_uri "$2")" migrate "${flags[@]}" "$guest" "$dest" > /dev/null || return 1
  t1=$(now)
  # the destination keeps the incoming migration's completed job (the source no longer has the guest)
  dt=$(virsh -c "$(admin_uri "$3")" domjobinfo --completed "$guest" 2> /dev/null | sed -n 's/^Total downtime: *\([0-9]*\).*/\1/p')
  awk -v a="$t0" -v b="$t1" -v d="${dt:-NA}" 'BEGIN { printf "%.1f %.1f %s\n", b - a, b - a, d }'
}

vmflow_run() { # KIND FROM TO: prints "wall own downtime"
  local t0 t1 line own dt
  sleep 6 # the coordinator learns where the guest runs from host state, published every 5 s (not timed)
  t0=$(now)
  # shellcheck disable=SC2046
  line=$(vmflow_cli migrate --guest "$guest" --source "$2" --reason "e2e benchmark" $(vmflow_args "$1" "$3") 2>&1 |
    grep '^result: ' || true)
  t1=$(now)
  [[ "$line" == *SUCCEEDED* ]] || { echo "$line" >&2; return 1; }
  own=$(sed -n 's/.*SUCCEEDED in \([0-9.]*\) s.*/\1/p' <<< "$line")
  dt=$(sed -n 's/.*downtime \([0-9]*\) ms.*/\1/p' <<< "$line")
  awk -v a="$t0" -v b="$t1" -v o="$own" -v d="${dt:-NA}" 'BEGIN { printf "%.1f %s %s\n", b - a, o, d }'
}

results=$(mktemp)
where=hostA
for ((r = 1; r <= rounds; r++)); do
  for kind in "${KINDS[@]}"; do
    tools=(vmflow virsh)
    [ $((r % 2)) -eq 0 ] && tools=(virsh vmflow)
    for tool in "${tools[@]}"; do
      to=$([ "$where" = hostA ] && echo hostB || echo hostA)
      if figures=$("${tool}_run" "$kind" "$where" "$to"); then
        bad=$(verdict "$to")
        printf 'round %d %-15s %-6s %s -> %s  wall %s s  own %s s  downtime %s ms  guest bad %s\n' \
          "$r" "$kind" "$tool" "$where" "$to" $figures "$bad"
        echo "$kind $tool $figures" >> "$results"
        where=$to
      else
        printf 'round %d %-15s %-6s %s -> %s  FAILED\n' "$r" "$kind" "$tool" "$where" "$to"
      fi
    done
  done
done

med() { sort -n | awk '{a[NR] = $1} END { if (NR == 0) print "NA"; else print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
range() { sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END { print lo "-" hi }'; }
col() { awk -v k="$1" -v t="$2" -v c="$3" '$1 == k && $2 == t && $c != "NA" {print $c}' "$results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || b == 0) print "NA"; else printf "%.2fx", a / b }'; }

echo
echo "medians (ranges) over $rounds rounds; 256 MiB TCG guest, 16 MiB working set, QEMU's default max downtime:"
printf '  %-15s %-6s %-18s %-18s %-18s\n' kind tool "wall (s)" "own time (s)" "downtime (ms)"
for kind in "${KINDS[@]}"; do
  for tool in vmflow virsh; do
    printf '  %-15s %-6s %-18s %-18s %-18s\n' "$kind" "$tool" \
      "$(col "$kind" $tool 3 | med) ($(col "$kind" $tool 3 | range))" \
      "$(col "$kind" $tool 4 | med) ($(col "$kind" $tool 4 | range))" \
      "$(col "$kind" $tool 5 | med) ($(col "$kind" $tool 5 | range))"
  done
done
echo "ratios vmflow / virsh (of the medians): wall, own time, downtime"
for kind in "${KINDS[@]}"; do
  printf '  %-15s %s  %s  %s\n' "$kind" \
    "$(ratio "$(col "$kind" vmflow 3 | med)" "$(col "$kind" virsh 3 | med)")" \
    "$(ratio "$(col "$kind" vmflow 4 | med)" "$(col "$kind" virsh 4 | med)")" \
    "$(ratio "$(col "$kind" vmflow 5 | med)" "$(col "$kind" virsh 5 | med)")"
done
echo "  (relay: the vmflow relays against virsh's --tunnelled, libvirt's own tunnel)"
rm -f "$results"
