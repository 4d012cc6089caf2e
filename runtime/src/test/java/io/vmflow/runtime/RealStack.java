package io.vmflow.runtime;

import static org.assertj.core.api.Assertions.fail;

import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.registry.SchemaRegistryClient;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The real broker and registry the integration tests run against: the stack ops/test.sh started (found
 * through KAFKA_BOOTSTRAP_SERVERS / SCHEMA_REGISTRY_URL or the failsafe system properties) or, when
 * the environment names none and Docker answers, vmflow's images in containers ({@link ContainerStack},
 * e.g. from an IDE). A test that cannot reach them fails, saying how to start them; it never skips.
 */
public final class RealStack {

    private RealStack() {}

    public static Endpoints endpoints() {
        return inContainers() ? ContainerStack.endpoints() : Endpoints.fromEnvironment();
    }

    /**
     * The CA directory (ops/pki.sh's layout) of the stack in containers, when that is the stack in use;
     * empty when the stack is the environment's (whose PKI the environment names: TestPki).
     */
    public static Optional<java.nio.file.Path> containerPki() {
        return inContainers() ? Optional.of(ContainerStack.pki()) : Optional.empty();
    }

    private static boolean inContainers() {
        return !stackInEnvironment() && ContainerStack.dockerAvailable();
    }

    /** Whether this run was given a stack (ops/test.sh's, or one named by hand). */
    static boolean stackInEnvironment() {
        String env = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
        String sys = System.getProperty("kafka.bootstrap.servers", "");
        return (env != null && !env.isBlank()) || !(sys.isBlank() || sys.startsWith("${"));
    }

    public static SchemaRegistryClient registry() {
        return endpoints().registry();
    }

    public static Admin admin() {
        return Admin.create(endpoints().admin());
    }

    /**
     * Stops the broker ("kafka") or the registry ("registry") of the test stack, as an outage would
     * (ops/stack/down.sh --only); {@link #startAgain()} brings it back with the same data.
     */
    public static void stop(String which) {
        script("ops/stack/down.sh", "--only", which);
    }

    /** Starts whatever of the test stack is not running (ops/stack/up.sh; idempotent). */
    public static void startAgain() {
        script("ops/stack/up.sh");
    }

    private static void script(String... command) {
        java.nio.file.Path root = java.nio.file.Path.of("..").toAbsolutePath().normalize();
        try {
            String[] argv = command.clone();
            argv[0] = root.resolve(command[0]).toString();
            Process p = new ProcessBuilder(argv)
                    .directory(root.toFile())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                fail(String.join(" ", command) + " failed:\n" + out);
            }
        } catch (java.io.IOException e) {
            fail(String.join(" ", command) + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
    }

    /** Creates a topic of the test's own (auto-creation is off on vmflow's broker). */
    public static String scratchTopic(String prefix) {
        String name = "it." + prefix + "." + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, Optional.of(1), Optional.empty())))
                    .all()
                    .get();
        } catch (ExecutionException e) {
            fail("cannot create topic on Kafka at " + endpoints().bootstrapServers()
                    + " (start the stack: ops/stack/up.sh, or run the tests with ops/test.sh): " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
        return name;
    }
}
