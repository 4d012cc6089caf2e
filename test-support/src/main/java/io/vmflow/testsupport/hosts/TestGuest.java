package io.vmflow.testsupport.hosts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * The integrity test guest (ops/guest) on a test host: created or defined through the host's own
 * libvirtd, and judged by what it prints on its serial console ("hb N pass P gen G bad B").
 */
public final class TestGuest {

    private static final Pattern HB = Pattern.compile("^hb (\\d+) pass (\\d+) gen (\\d+) bad (\\d+)$");

    private final String name;
    private final String uuid = UUID.randomUUID().toString();
    private final int memoryMiB;
    private final String cmdline;

    public TestGuest(String name, int memoryMiB, String cmdline) {
        this.name = name;
        this.memoryMiB = memoryMiB;
        this.cmdline = cmdline;
    }

    public String name() {
        return name;
    }

    public String uuid() {
        return uuid;
    }

    public String xml() {
        Path kernel =
                TestHost.home().resolve("guest").resolve("vmflow-guest.elf").toAbsolutePath();
        return """
                <domain type='qemu'>
                  <name>%s</name>
                  <uuid>%s</uuid>
                  <memory unit='MiB'>%d</memory>
                  <vcpu>1</vcpu>
                  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>%s</kernel><cmdline>%s</cmdline></os>
                  <on_crash>destroy</on_crash>
                  <devices>
                    <serial type='file'><source path='/var/log/libvirt/qemu/%s.serial'/><target port='0'/></serial>
                    <memballoon model='none'/>
                  </devices>
                </domain>
                """.formatted(name, uuid, memoryMiB, kernel, cmdline, name);
    }

    /** Starts the guest on a host: transient (create) or persistent (define + start). */
    public void start(TestHost host, boolean persistent) throws LibvirtException {
        Connect c = new Connect(host.adminUri());
        try {
            if (persistent) {
                c.domainDefineXML(xml()).create();
            } else {
                c.domainCreateXML(xml(), 0);
            }
        } finally {
            c.close();
        }
        awaitHeartbeats(host, 1);
    }

    /** Defines the guest on a host without starting it (an existing destination config). */
    public void define(TestHost host) throws LibvirtException {
        Connect c = new Connect(host.adminUri());
        try {
            c.domainDefineXML(xml());
        } finally {
            c.close();
        }
    }

    /** What the host's libvirt says of the guest: empty when it is not there at all. */
    public Optional<Observed> observe(TestHost host) throws LibvirtException {
        return onDomain(
                host, Optional.empty(), d -> Optional.of(new Observed(d.isActive() == 1, d.isPersistent() == 1)));
    }

    private interface DomainCall<T> {
        T apply(Domain d) throws LibvirtException;
    }

    /** A call on the guest through the host's libvirt, or {@code absent} when the host has no such guest. */
    private <T> T onDomain(TestHost host, T absent, DomainCall<T> call) throws LibvirtException {
        Connect c = new Connect(host.adminUri());
        try {
            Domain d;
            try {
                d = c.domainLookupByName(name);
            } catch (LibvirtException e) {
                return absent;
            }
            return call.apply(d);
        } finally {
            c.close();
        }
    }

    /**
     * The TLS credentials QEMU's migration uses on a host right now (QMP query-migrate-parameters'
     * {@code tls-creds}, through libvirt): libvirt's object id while a VIR_MIGRATE_TLS migration runs,
     * empty otherwise; empty too when the guest is not running there.
     */
    public String migrationTlsCreds(TestHost host) throws LibvirtException {
        return onDomain(host, "", d -> {
            if (d.isActive() != 1) {
                return "";
            }
            String answer = d.qemuMonitorCommand("{\"execute\":\"query-migrate-parameters\"}", 0);
            Matcher m = Pattern.compile("\"tls-creds\"\\s*:\\s*\"([^\"]*)\"").matcher(answer);
            return m.find() ? m.group(1) : "";
        });
    }

    /** Destroys and undefines the guest on a host, whatever state it is in. */
    public void remove(TestHost host) {
        try {
            Connect c = new Connect(host.adminUri());
            try {
                Domain d = c.domainLookupByName(name);
                if (d.isActive() == 1) {
                    d.destroy();
                }
                if (d.isPersistent() == 1) {
                    d.undefine();
                }
            } catch (LibvirtException e) {
                // not there
            } finally {
                c.close();
            }
        } catch (LibvirtException e) {
            // host unreachable: nothing to clean
        }
    }

    /** The heartbeats printed on a host so far. */
    public List<Heartbeat> heartbeats(TestHost host) {
        Path log = host.serialLog(name);
        if (!Files.exists(log)) {
            return List.of();
        }
        try {
            return Files.readAllLines(log).stream()
                    .map(HB::matcher)
                    .filter(Matcher::matches)
                    .map(m -> new Heartbeat(
                            Long.parseLong(m.group(1)),
                            Long.parseLong(m.group(2)),
                            Long.parseLong(m.group(3)),
                            Long.parseLong(m.group(4))))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Waits until a host's serial log has at least n more heartbeats than it has now. */
    public List<Heartbeat> awaitHeartbeats(TestHost host, int more) {
        int before = heartbeats(host).size();
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> heartbeats(host).size() >= before + more);
        return heartbeats(host);
    }

    /**
     * The integrity verdict: on this host the guest's heartbeat advances (two more beats arrive) and
     * it has found no corrupt word.
     */
    public void assertRunningIntact(TestHost host) throws LibvirtException {
        assertThat(observe(host))
                .as("%s on %s", name, host.id())
                .hasValueSatisfying(o -> assertThat(o.active())
                        .as("%s active on %s", name, host.id())
                        .isTrue());
        assertHeartbeatIntact(host);
    }

    /**
     * The integrity verdict from the serial console alone (for a guest that runs on a host outside
     * libvirt's knowledge, as after an unmanaged migration).
     */
    public void assertHeartbeatIntact(TestHost host) {
        List<Heartbeat> beats = awaitHeartbeats(host, 2);
        Heartbeat last = beats.get(beats.size() - 1);
        Heartbeat earlier = beats.get(beats.size() - 2);
        assertThat(last.n()).as("heartbeat advancing on %s", host.id()).isGreaterThan(earlier.n());
        assertThat(beats)
                .as("heartbeats on %s", host.id())
                .allSatisfy(b -> assertThat(b.bad()).isZero());
    }

    public record Heartbeat(long n, long pass, long generation, long bad) {}

    public record Observed(boolean active, boolean persistent) {}
}
