#!/usr/bin/env bash
# Starts a QEMU on a test host, outside libvirt, waiting for an incoming migration of a guest on a
# port: the destination of the seed's unmanaged direct migration (scenario 4), where only the
# hypervisor takes part. The command line is libvirt's own (domxml-to-native), in the host's
# namespaces. Prints the QEMU pid.   ops/guest/incoming.sh HOST_ID GUEST_XML PORT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
host=${1:?usage: ops/guest/incoming.sh HOST_ID GUEST_XML PORT}
xml=${2:?guest XML file}
port=${3:?port}
props="$VMFLOW_HOME/hosts/$host/host.properties"
[ -f "$props" ] || die "no test host $host (ops/hosts/up.sh)"
uri=$(admin_uri "$host")
pid=$(cat "$VMFLOW_HOME/hosts/$host/run/libvirtd.pid")
native=$(virsh -c "$uri" domxml-to-native qemu-argv "$xml")
eval "set -- $native"
args=()
started=0
while [ $# -gt 0 ]; do
  w=$1; shift
  if [ $started -eq 0 ] && [[ $w =~ ^[A-Z_]+= ]]; then continue; fi # the environment libvirt would set
  started=1
  case $w in
    -S) continue ;; # run as soon as the state arrived
    -mon) shift; continue ;; # no libvirt monitor
    -object) [[ $1 == *masterKey0* ]] && { shift; continue; } ;;
    -chardev) [[ $1 == *charmonitor* ]] && { shift; continue; } ;;
  esac
  args+=("$w")
done
setsid nsenter -t "$pid" -m -n -u -- "${args[@]}" -incoming "tcp:0:$port" > "$VMFLOW_HOME/guest/incoming-$port.log" 2>&1 < /dev/null &
qpid=$!
for _ in $(seq 1 100); do
  nsenter -t "$pid" -n ss -Hltn "sport = :$port" | grep -q LISTEN && { echo "$qpid"; exit 0; }
  kill -0 "$qpid" 2>/dev/null || die "QEMU exited: $(tail -3 "$VMFLOW_HOME/guest/incoming-$port.log")"
  sleep 0.2
done
die "QEMU does not listen on $port"
