package io.vmflow.testsupport.hosts;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * One test host made by ops/hosts/up.sh, read from its host.properties.
 *
 * @param id         host id (hostA...)
 * @param libvirtUri how to reach its libvirtd, as its agent registers it (qemu+tls://ADDRESS/system)
 * @param adminUri   how the tests reach it: the libvirt URI with the admin principal's certificate
 * @param address    its address on the test bridge
 * @param migrationAddress its address on the migration network (the bridge address without one)
 * @param dir        its state directory (its /var/log/libvirt is dir/log)
 */
public record TestHost(
        String id, String libvirtUri, String adminUri, String address, String migrationAddress, Path dir) {

    /** The vmflow home the tests run with (ops/test.sh exports VMFLOW_HOME). */
    public static Path home() {
        String h = System.getenv("VMFLOW_HOME");
        return h != null
                ? Path.of(h)
                : Path.of("..", ".vmflow").toAbsolutePath().normalize();
    }

    public static TestHost load(String id) {
        Path file = home().resolve("hosts").resolve(id).resolve("host.properties");
        if (!Files.exists(file)) {
            throw new IllegalStateException("no test host " + id + " (" + file + "): start them with ops/hosts/up.sh,"
                    + " or run the tests with ops/test.sh");
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return new TestHost(
                p.getProperty("id"),
                p.getProperty("libvirtUri"),
                p.getProperty("adminUri", p.getProperty("libvirtUri")),
                p.getProperty("address"),
                p.getProperty("migrationAddress"),
                Path.of(p.getProperty("dir")));
    }

    /**
     * The environment entry giving this host's agent its certificate for libvirt (ops/pki.sh's
     * agent.ID/libvirt), when its libvirtd speaks TLS; empty otherwise.
     */
    public java.util.Map<String, String> agentLibvirtPki() {
        return libvirtUri.startsWith("qemu+tls:")
                ? java.util.Map.of(
                        "VMFLOW_AGENT_LIBVIRT_PKI",
                        io.vmflow.testsupport.TestPki.principal("agent", id)
                                .resolve("libvirt")
                                .toString())
                : java.util.Map.of();
    }

    /** Whether this host has a second interface on a separate migration network. */
    public boolean hasMigrationNetwork() {
        return !address.equals(migrationAddress);
    }

    /** Bytes received so far by this host's interface on the migration network (its veth, seen from outside). */
    public long migrationNetworkRxBytes() {
        try {
            // the outer end of the host's veth transmits what the host receives
            return Long.parseLong(Files.readString(Path.of("/sys/class/net/vf-" + id + "-1/statistics/tx_bytes"))
                    .trim());
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("no migration-network interface for " + id + ": " + e);
        }
    }

    /**
     * Caps what this host sends on its migration network at {@code mbit} Mbit/s (tc's token bucket on
     * the interface, inside the host's namespace), until the returned handle is closed: a slow link,
     * so that migrations need several passes or last long enough to be cancelled.
     */
    public AutoCloseable slowMigrationLink(int mbit) {
        String dev = hasMigrationNetwork() ? "eth1" : "eth0";
        tc("qdisc", "replace", "dev", dev, "root", "tbf", "rate", mbit + "mbit", "burst", "64kb", "latency", "200ms");
        return () -> tc("qdisc", "del", "dev", dev, "root");
    }

    private void tc(String... args) {
        java.util.List<String> cmd =
                new java.util.ArrayList<>(java.util.List.of("ip", "netns", "exec", "vmflow-" + id, "tc"));
        cmd.addAll(java.util.List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Where this host's QEMU writes a guest's serial console. */
    public Path serialLog(String guest) {
        return dir.resolve("log").resolve("qemu").resolve(guest + ".serial");
    }
}
