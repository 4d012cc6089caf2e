#!/usr/bin/env bash
# Turns this machine into N hypervisor test hosts (default 2, up to 4): each a network namespace
# with its own address on a private bridge (10.250.0.0/24), its own UTS and mount namespace, and its
# own libvirtd (QEMU driver, TCG) with its own config/run/state directories under
# $VMFLOW_HOME/hosts/<id>. Host ids: hostA, hostB, hostC, hostD.
#   ops/hosts/up.sh [N] [--migration-network]
# Every host's libvirtd listens only with TLS (qemu+tls://ADDRESS/system, port 16514) and takes clients
# with a vmflow certificate of an agent, an admin or another hypervisor (tls_allowed_dn_list); each has
# its own `hypervisor` certificate (ops/pki.sh, in $VMFLOW_PKI) mounted at the namespace's /etc/pki,
# where libvirtd (server and peer-to-peer client) and QEMU (migrations with VIR_MIGRATE_TLS) read it.
# Clients bring their own: host.properties' adminUri adds pkipath= with the admin principal's files.
# VMFLOW_HOSTS_LIBVIRT=tcp is the insecure development switch: plain TCP without authentication.
# --migration-network adds a second interface per host on 10.251.0.0/24 (a separate migration
# network, the seed's "multiple NICs" case); libvirt's migration_host then points there.
# Installs libvirt 11 and QEMU 10 from Debian's bookworm-backports when missing or older (needs root;
# VMFLOW_HOSTS_SUITE=stable keeps Debian 12's own). Idempotent; ops/hosts/down.sh
# stops everything it started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

count=2
migration_net=0
for arg in "$@"; do
  case "$arg" in
    --migration-network) migration_net=1 ;;
    [1-4]) count=$arg ;;
    *) die "usage: ops/hosts/up.sh [1-4] [--migration-network]" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "test hosts need root (network namespaces, libvirtd)"

HOSTS_DIR="$VMFLOW_HOME/hosts"
IDS=(hostA hostB hostC hostD)
BR0=vmflow-br0
BR1=vmflow-br1

# The hypervisors come from Debian's bookworm-backports (QEMU 10, libvirt 11) by default: Debian 12's
# own QEMU 7.2 loses dirty pages in multi-pass and bandwidth-capped migrations of TCG guests (3 of 8
# multi-pass migrations corrupt, 8 of 8 intact on QEMU 10; ops/README.md). VMFLOW_HOSTS_SUITE=stable
# keeps Debian 12's libvirt 9.0 / QEMU 7.2, which the agent still supports.
HOST_PACKAGES=(qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-daemon-system)

qemu_major() { qemu-system-x86_64 --version 2> /dev/null | sed -n 's/^QEMU emulator version \([0-9]*\).*/\1/p'; }

ensure_backports_source() {
  local list=/etc/apt/sources.list.d/vmflow-bookworm-backports.sources
  [ -f "$list" ] && return 0
  grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
  cat > "$list" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}

ensure_packages() {
  local suite="${VMFLOW_HOSTS_SUITE:-backports}"
  local missing=()
  command -v libvirtd > /dev/null || missing+=(libvirt-daemon libvirt-daemon-driver-qemu)
  command -v virsh > /dev/null || missing+=(libvirt-clients)
  command -v qemu-system-x86_64 > /dev/null || missing+=(qemu-system-x86)
  command -v ip > /dev/null || missing+=(iproute2)
  command -v unshare > /dev/null || missing+=(util-linux)
  case "$suite" in
    backports)
      if [ ${#missing[@]} -gt 0 ] || [ "$(qemu_major)" -lt 10 ] 2> /dev/null; then
        ensure_backports_source
        say "installing QEMU and libvirt from Debian's bookworm-backports"
        apt-get update -qq
        # libvirt-daemon-system's scripts would start the machine-wide daemons; the test hosts run their own
        DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends iproute2 util-linux > /dev/null
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports "${HOST_PACKAGES[@]}" > /dev/null \
          || { rm -f /usr/sbin/policy-rc.d; die "apt-get install -t bookworm-backports ${HOST_PACKAGES[*]} failed"; }
        rm -f /usr/sbin/policy-rc.d
      fi ;;
    stable)
      if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]} from Debian"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null \
          || die "apt-get install ${missing[*]} failed"
      fi ;;
    *) die "VMFLOW_HOSTS_SUITE must be backports or stable, not '$suite'" ;;
  esac
  # libvirt's QEMU driver refuses to start without these, even when told to run guests as root
  getent group libvirt-qemu > /dev/null || groupadd -r libvirt-qemu
  getent passwd libvirt-qemu > /dev/null || useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
  QEMU_VERSION="$(qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([^ ]*\).*/\1/p')"
  LIBVIRT_VERSION="$(libvirtd --version | awk '{print $NF}')"
  say "hypervisors: QEMU $QEMU_VERSION, libvirt $LIBVIRT_VERSION (VMFLOW_HOSTS_SUITE=$suite)"
}

ensure_bridge() { # NAME CIDR
  if ! ip link show "$1" > /dev/null 2>&1; then
    ip link add "$1" type bridge
    ip addr add "$2" dev "$1"
  fi
  ip link set "$1" up
  bridge_through_forward "$1" # whether or not Docker runs yet
}

ensure_link() { # HOSTID NS INDEX BRIDGE IFNAME ADDR
  local id=$1 ns=$2 bridge=$4 ifname=$5 addr=$6
  local outer="vf-$id-$3"
  if ! ip link show "$outer" > /dev/null 2>&1; then
    ip link add "$outer" type veth peer name "$ifname" netns "$ns"
    ip link set "$outer" master "$bridge" up
  fi
  ip -n "$ns" addr replace "$addr/24" dev "$ifname"
  ip -n "$ns" link set "$ifname" up
}

# the host's /etc/pki as its libvirtd and QEMU read it: its hypervisor certificate under libvirt's and
# QEMU's file names (libvirt's pki(5) layout), rewritten on every run so that a rotated certificate is
# taken up when libvirtd restarts
write_pki() { # ID DIR MGMT_IP MIGRATION_IP
  local id=$1 d=$2 ips=("$3") src p
  [ "$4" != "$3" ] && ips+=("$4")
  "$VMFLOW_ROOT/ops/pki.sh" "$VMFLOW_PKI" issue hypervisor "$id" "${ips[@]}"
  "$VMFLOW_ROOT/ops/pki.sh" "$VMFLOW_PKI" issue admin vmflow
  src="$VMFLOW_PKI/hypervisor.$id"
  p="$d/pki"
  mkdir -p "$p/CA" "$p/libvirt/private" "$p/qemu"
  chmod 700 "$p" "$p/libvirt/private" "$p/qemu"
  cp "$src/ca.crt" "$p/CA/cacert.pem"
  cp "$src/crl.pem" "$p/CA/crl.pem" 2> /dev/null || true
  for role in server client; do
    cp "$src/cert.pem" "$p/libvirt/${role}cert.pem"
    (umask 077 && cp "$src/key.pem" "$p/libvirt/private/${role}key.pem")
    cp "$src/cert.pem" "$p/qemu/$role-cert.pem"
    (umask 077 && cp "$src/key.pem" "$p/qemu/$role-key.pem")
  done
  cp "$src/ca.crt" "$p/qemu/ca-cert.pem"
}

write_config() { # ID DIR MGMT_IP MIGRATION_IP INDEX
  local id=$1 d=$2 ip=$3 mip=$4 i=$5
  if [ ! -f "$d/etc/.vmflow" ]; then
    mkdir -p "$d/etc"
    cp -a /etc/libvirt/. "$d/etc/"
    touch "$d/etc/.vmflow"
  fi
  mkdir -p "$d/run" "$d/lib" "$d/log/qemu" "$d/cache"
  if [ "$LIBVIRT_TRANSPORT" = tcp ]; then
    cat > "$d/etc/libvirtd.conf" <<CONF
# vmflow test host $id: TCP without authentication (VMFLOW_HOSTS_LIBVIRT=tcp, the development switch)
listen_tls = 0
listen_tcp = 1
listen_addr = "$ip"
auth_tcp = "none"
auth_unix_rw = "none"
host_uuid = "00000000-0000-4000-8000-00000000000$i"
CONF
  else
    write_pki "$id" "$d" "$ip" "$mip"
    cat > "$d/etc/libvirtd.conf" <<CONF
# vmflow test host $id: TLS only, clients with a vmflow certificate of an agent, an admin or a hypervisor
listen_tls = 1
listen_tcp = 0
listen_addr = "$ip"
auth_tls = "none"
auth_unix_rw = "none"
key_file = "/etc/pki/libvirt/private/serverkey.pem"
cert_file = "/etc/pki/libvirt/servercert.pem"
ca_file = "/etc/pki/CA/cacert.pem"
$([ -f "$d/pki/CA/crl.pem" ] && echo 'crl_file = "/etc/pki/CA/crl.pem"')
tls_no_verify_certificate = 0
tls_allowed_dn_list = ["O=vmflow,OU=agent,CN=*", "O=vmflow,OU=admin,CN=*", "O=vmflow,OU=hypervisor,CN=*"]
host_uuid = "00000000-0000-4000-8000-00000000000$i"
CONF
  fi
  cat > "$d/etc/qemu.conf" <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
stdio_handler = "file"
migration_host = "$mip"
migration_address = "0.0.0.0"
# migrations with VIR_MIGRATE_TLS: QEMU's TLS with this host's certificate, peers must show theirs
migrate_tls_x509_cert_dir = "/etc/pki/qemu"
migrate_tls_x509_verify = 1
CONF
  local uri="qemu+$LIBVIRT_TRANSPORT://$ip/system" admin
  admin=$uri
  [ "$LIBVIRT_TRANSPORT" = tls ] && admin="$uri?pkipath=$VMFLOW_PKI/admin.vmflow/libvirt"
  cat > "$d/host.properties" <<CONF
id=$id
libvirtUri=$uri
adminUri=$admin
address=$ip
migrationAddress=$mip
dir=$d
namespace=vmflow-$id
qemuVersion=$QEMU_VERSION
libvirtVersion=$LIBVIRT_VERSION
CONF
}

start_daemon() { # ID DIR
  local id=$1 d=$2
  mkdir -p /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /etc/pki
  : > "$d/libvirtd.out"
  setsid ip netns exec "vmflow-$id" unshare --uts --mount --propagation private bash -c "
    set -e
    hostname $id
    mount --bind '$d/etc' /etc/libvirt
    mount --bind '$d/run' /run/libvirt
    mount --bind '$d/lib' /var/lib/libvirt
    mount --bind '$d/log' /var/log/libvirt
    mount --bind '$d/cache' /var/cache/libvirt
    [ -d '$d/pki' ] && mount --bind '$d/pki' /etc/pki
    exec libvirtd --listen --pid-file /run/libvirt/libvirtd.pid
  " >> "$d/libvirtd.out" 2>&1 < /dev/null &
}

LIBVIRT_TRANSPORT=${VMFLOW_HOSTS_LIBVIRT:-tls}
case "$LIBVIRT_TRANSPORT" in
  tls) ;;
  tcp) say "warning: VMFLOW_HOSTS_LIBVIRT=tcp: the test hosts' libvirtd take anyone on plain TCP (development only)" ;;
  *) die "VMFLOW_HOSTS_LIBVIRT must be tls or tcp, not '$LIBVIRT_TRANSPORT'" ;;
esac
ensure_packages
# the test guest, built from source, where every host's QEMU can read it
mkdir -p "$VMFLOW_HOME/guest"
"$VMFLOW_ROOT/ops/guest/build.sh" "$VMFLOW_HOME/guest/vmflow-guest.elf" > /dev/null || die "building the test guest failed (needs gcc and binutils)"
ensure_bridge "$BR0" 10.250.0.254/24
[ $migration_net -eq 1 ] && ensure_bridge "$BR1" 10.251.0.254/24

for ((i = 1; i <= count; i++)); do
  id=${IDS[$((i - 1))]}
  ns="vmflow-$id"
  d="$HOSTS_DIR/$id"
  ip="10.250.0.$i"
  mip=$ip
  ip netns list | grep -qw "$ns" || ip netns add "$ns"
  ip -n "$ns" link set lo up
  ensure_link "$id" "$ns" 0 "$BR0" eth0 "$ip"
  if [ $migration_net -eq 1 ]; then
    mip="10.251.0.$i"
    ensure_link "$id" "$ns" 1 "$BR1" eth1 "$mip"
  fi
  mkdir -p "$d"
  write_config "$id" "$d" "$ip" "$mip" "$i"
  if pid_alive "$d/run/libvirtd.pid"; then
    say "$id: libvirtd already running (pid $(cat "$d/run/libvirtd.pid"))"
  else
    say "$id: starting libvirtd in namespace $ns at $ip"
    rm -f "$d/run/libvirtd.pid"
    start_daemon "$id" "$d"
  fi
done

for ((i = 1; i <= count; i++)); do
  id=${IDS[$((i - 1))]}
  d="$HOSTS_DIR/$id"
  admin=$(sed -n 's/^adminUri=//p' "$d/host.properties")
  deadline=$((SECONDS + 60))
  until virsh -c "$admin" version > /dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || {
      tail -n 20 "$d/libvirtd.out" >&2
      virsh -c "$admin" version >&2 || true
      die "$id: libvirtd not reachable at $admin after 60 s"
    }
    sleep 0.3
  done
  echo "$id  $(sed -n 's/^libvirtUri=//p' "$d/host.properties")  $(grep migrationAddress "$d/host.properties")  dir $d"
done
