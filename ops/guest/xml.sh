#!/usr/bin/env bash
# Prints the libvirt domain XML of a test guest: ops/guest/xml.sh NAME [MEMORY_MIB] [CMDLINE]
# (CMDLINE: "ws=16" busy with a 16 MiB working set, the default; "idle"; add "corrupt" to see the
# detector fire). Its serial console goes to the host's /var/log/libvirt/qemu/NAME.serial.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
name=${1:?usage: ops/guest/xml.sh NAME [MEMORY_MIB] [CMDLINE]}
memory=${2:-128}
cmdline=${3:-ws=16}
kernel="$VMFLOW_HOME/guest/vmflow-guest.elf"
[ -f "$kernel" ] || "$VMFLOW_ROOT/ops/guest/build.sh" "$kernel" > /dev/null
cat <<XML
<domain type='qemu'>
  <name>$name</name>
  <uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>
  <memory unit='MiB'>$memory</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$kernel</kernel><cmdline>$cmdline</cmdline></os>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='file'><source path='/var/log/libvirt/qemu/$name.serial'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
