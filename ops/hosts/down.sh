#!/usr/bin/env bash
# Stops the test hosts that ops/hosts/up.sh started: their guests (QEMU outlives libvirtd), their
# libvirtd, their namespaces, links and bridges. Idempotent; leaves nothing running.
# --purge also deletes their state ($VMFLOW_HOME/hosts).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
[ "$(id -u)" -eq 0 ] || die "test hosts need root"

for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^vmflow-host' || true); do
  id=${ns#vmflow-}
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  if [ -n "$pids" ]; then
    say "$id: stopping $(echo $pids | wc -w) process(es) (libvirtd, guests)"
    kill $pids 2>/dev/null || true
    for _ in $(seq 1 40); do
      [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
      sleep 0.25
    done
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
  fi
  ip netns del "$ns" 2>/dev/null || true
  rm -f "$VMFLOW_HOME/hosts/$id/run/libvirtd.pid"
done
for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^vf-host' || true); do
  ip link del "$link" 2>/dev/null || true
done
for br in vmflow-br0 vmflow-br1; do
  ip link del "$br" 2>/dev/null || true
  while iptables -D FORWARD -i "$br" -o "$br" -j ACCEPT 2>/dev/null; do :; done
done
if [ "${1:-}" = "--purge" ]; then
  rm -rf "$VMFLOW_HOME/hosts"
fi
say "test hosts stopped"
