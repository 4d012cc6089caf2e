package io.vmflow.agent.testhosts;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * One test host made by ops/hosts/up.sh, read from its host.properties.
 *
 * @param id         host id (hostA...)
 * @param libvirtUri how to reach its libvirtd
 * @param address    its address on the test bridge
 * @param dir        its state directory (its /var/log/libvirt is dir/log)
 */
public record TestHost(String id, String libvirtUri, String address, Path dir) {

    /** The vmflow home the tests run with (ops/test.sh exports VMFLOW_HOME). */
    public static Path home() {
        String h = System.getenv("VMFLOW_HOME");
        return h != null ? Path.of(h) : Path.of("..", ".vmflow").toAbsolutePath().normalize();
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
        return new TestHost(p.getProperty("id"), p.getProperty("libvirtUri"), p.getProperty("address"),
                Path.of(p.getProperty("dir")));
    }

    /** Where this host's QEMU writes a guest's serial console. */
    public Path serialLog(String guest) {
        return dir.resolve("log").resolve("qemu").resolve(guest + ".serial");
    }
}
