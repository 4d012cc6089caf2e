#!/usr/bin/env bash
# The downtime of a relay-tunnelled migration against a native one, a native one under QEMU's own TLS
# (--tls, VIR_MIGRATE_TLS) and libvirt's own tunnel, in the same run: one guest moved back and forth
# between the demo's hosts, peer-to-peer, the four kinds taking turns, ROUNDS rounds (default 5). Prints each migration (wall time, passes,
# downtime, the guest's integrity verdict), then per transport the median downtime and its spread,
# and the ratios of the medians. Needs the demo stack running (ops/demo.sh; QEMU's default max
# downtime everywhere) and root.
#   ops/bench/downtime.sh [ROUNDS]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

rounds=${1:-5}
KINDS="native native-tls relay libvirt-tunnel"
[ "$(id -u)" -eq 0 ] || die "run it as root (it boots a guest on the demo's test hosts)"
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$VMFLOW_KAFKA_PORT"
export SCHEMA_REGISTRY_URL="$(registry_url)"
curl -sf "http://127.0.0.1:9081/ready" > /dev/null || die "the demo's coordinator is not ready: run ops/demo.sh first"

guest="bench-dt-$(date +%H%M%S)"
trap 'for h in hostA hostB; do virsh -q -c "$(admin_uri $h)" destroy "$guest" > /dev/null 2>&1 || true; done' EXIT
boot_test_guest "$guest" hostA
serial() { echo "$VMFLOW_HOME/hosts/$1/log/qemu/$guest.serial"; }

results="$(mktemp)"
where=hostA
for ((r = 1; r <= rounds; r++)); do
  # each round starts one kind later, so that every kind moves the guest both ways over the rounds
  read -r -a order <<< "$KINDS"
  shift_by=$(((r - 1) % ${#order[@]}))
  order=("${order[@]:$shift_by}" "${order[@]:0:$shift_by}")
  for kind in "${order[@]}"; do
    to=$([ "$where" = hostA ] && echo hostB || echo hostA)
    case $kind in
      native) args=(--destination "$to") ;;
      native-tls) args=(--destination "$to" --tls) ;;
      relay) args=(--destination "$to" --transport TUNNELLED) ;;
      libvirt-tunnel) args=(--destination-uri "$(libvirt_uri "$to")" --transport TUNNELLED) ;;
    esac
    sleep 6 # the coordinator learns where the guest runs from host state, published every 5 s
    line=$(vmflow_cli migrate --guest "$guest" --source "$where" --flow MANAGED_PEER_TO_PEER \
      --reason "downtime benchmark" "${args[@]}" 2>&1 | grep '^result: ' || true)
    before=$(grep -c '^hb ' "$(serial "$to")" 2>/dev/null || echo 0)
    deadline=$((SECONDS + 30))
    until [ "$(grep -c '^hb ' "$(serial "$to")" 2>/dev/null || echo 0)" -ge $((before + 2)) ] || [ $SECONDS -ge $deadline ]; do
      sleep 0.5
    done
    bad=$(grep '^hb ' "$(serial "$to")" | tail -1 | sed 's/.* bad //')
    printf 'round %d %-15s %s -> %s  %s  guest bad %s\n' "$r" "$kind" "$where" "$to" "${line#result: }" "$bad"
    dt=$(sed -n 's/.*downtime \([0-9]*\) ms.*/\1/p' <<< "$line")
    wall=$(sed -n 's/.*SUCCEEDED in \([0-9.]*\) s.*/\1/p' <<< "$line")
    [[ "$line" == *SUCCEEDED* && -n "$dt" ]] && echo "$kind $dt $wall" >> "$results"
    [[ "$line" == *SUCCEEDED* ]] && where=$to
  done
done

echo
echo "downtime, median (min-max) over the SUCCEEDED migrations of $rounds rounds; 256 MiB guest, 16 MiB working set, TCG:"
declare -A median
for kind in $KINDS; do
  mapfile -t v < <(awk -v k="$kind" '$1 == k {print $2}' "$results" | sort -n)
  [ ${#v[@]} -gt 0 ] || { echo "  $kind: none succeeded"; continue; }
  median[$kind]=$(printf '%s\n' "${v[@]}" | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}')
  printf '  %-15s %5s ms  (%s-%s ms, %d runs)\n' "$kind" "${median[$kind]}" "${v[0]}" "${v[-1]}" "${#v[@]}"
  mapfile -t w < <(awk -v k="$kind" '$1 == k {print $3}' "$results" | sort -n)
  printf '  %-15s %5s s   (%s-%s s) from request to SUCCEEDED\n' "" \
    "$(printf '%s\n' "${w[@]}" | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}')" "${w[0]}" "${w[-1]}"
done
ratio() { # A B: the ratio of two kinds' medians, when both have one
  [ -n "${median[$1]:-}" ] && [ -n "${median[$2]:-}" ] || return 0
  awk -v a="${median[$1]}" -v b="${median[$2]}" -v n="$1 / $2" 'BEGIN { printf "  %-28s %.2fx\n", n, a / (b > 0 ? b : 1) }'
}
ratio native-tls native
ratio relay native
ratio relay native-tls
ratio relay libvirt-tunnel
ratio native-tls libvirt-tunnel
rm -f "$results"
