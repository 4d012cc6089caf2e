#!/usr/bin/env bash
# Builds vmflow-host_VERSION_all.deb: the host agent and the transport relay with their jars
# (/usr/share/vmflow/{agent,relay}), their systemd units (hardened; restart on failure), their settings
# (/etc/vmflow/agent.env, relay.env: conffiles, readable by root and vmflow only), the relay's socket
# directory (tmpfiles.d) and the maintainer scripts that make the vmflow user (libvirt and kvm groups)
# and enable the units. Needs only dpkg-deb. Output: ops/target/ (or the directory given).
#   ops/deb/build.sh [OUT_DIR]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

version=0.1.0
out="${1:-$VMFLOW_ROOT/ops/target}"
here="$VMFLOW_ROOT/ops/deb"
root="$VMFLOW_ROOT/.vmflow/deb/root"
command -v dpkg-deb > /dev/null || die "dpkg-deb is missing (Debian's dpkg)"
build_if_stale host-agent-service "the host agent"
build_if_stale transport-relay-service "the transport relay"

rm -rf "$root"
mkdir -p "$root/DEBIAN" "$root/usr/share/vmflow" "$root/lib/systemd/system" "$root/usr/lib/tmpfiles.d" \
  "$root/etc/vmflow" "$root/usr/share/doc/vmflow-host"
for pair in agent:host-agent-service relay:transport-relay-service; do
  name=${pair%%:*} module=${pair#*:}
  mkdir -p "$root/usr/share/vmflow/$name"
  cp "$VMFLOW_ROOT/$module/target/vmflow-$module-0.1.0-SNAPSHOT.jar" "$root/usr/share/vmflow/$name/app.jar"
  cp -r "$VMFLOW_ROOT/$module/target/lib" "$root/usr/share/vmflow/$name/lib"
done
cp "$here/vmflow-agent.service" "$here/vmflow-relay.service" "$root/lib/systemd/system/"
cp "$here/tmpfiles.conf" "$root/usr/lib/tmpfiles.d/vmflow.conf"
cp "$here/agent.env" "$here/relay.env" "$root/etc/vmflow/"
cp "$VMFLOW_ROOT/host-agent-service/README.md" "$root/usr/share/doc/vmflow-host/host-agent.md"
cp "$VMFLOW_ROOT/transport-relay-service/README.md" "$root/usr/share/doc/vmflow-host/transport-relay.md"
cp "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"
printf '/etc/vmflow/agent.env\n/etc/vmflow/relay.env\n' > "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: vmflow-host
Version: $version
Architecture: all
Maintainer: vmflow developers <vmflow@localhost>
Depends: openjdk-17-jre-headless | java17-runtime-headless, libvirt0, adduser, systemd
Recommends: libvirt-daemon-system
Installed-Size: $size
Section: admin
Priority: optional
Description: vmflow's hypervisor host daemons: the host agent and the transport relay
 The agent takes this host's live-migration commands from Kafka and drives its libvirtd; the relay
 carries tunnelled migration streams between hosts over mutual TLS 1.3. Both run as systemd services
 under the vmflow user; settings in /etc/vmflow/agent.env and relay.env.
CONTROL
find "$root" -type d -exec chmod 755 {} +
mkdir -p "$out"
deb="$out/vmflow-host_${version}_all.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" > /dev/null
say "package $deb ($(du -h "$deb" | cut -f1))"
echo "$deb"
