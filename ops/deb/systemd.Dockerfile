# A Debian 12 machine that boots systemd, for ops/deb/test.sh: the package's dependencies are there,
# the package itself is installed by the test.
FROM vmflow/jre:17
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd systemd-sysv libvirt0 adduser procps > /dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && systemctl mask getty.target console-getty.service systemd-logind.service systemd-udevd.service systemd-networkd.service systemd-resolved.service 2> /dev/null || true
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
