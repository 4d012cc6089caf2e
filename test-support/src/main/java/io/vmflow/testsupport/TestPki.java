package io.vmflow.testsupport;

import io.vmflow.runtime.RealStack;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.security.Identity;
import io.vmflow.runtime.security.KafkaAccess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * The test stack's PKI (ops/stack/up.sh makes it in {@code $VMFLOW_HOME/pki}; the stack in containers
 * has one of its own, {@link RealStack#containerPki()}): each service a test starts speaks to Kafka as
 * its own principal, with its role's ACLs, exactly as deployed; the test JVM itself is the admin
 * ({@code VMFLOW_KAFKA_TLS_DIR} from ops/test.sh). On a plaintext stack (the development switch) every
 * service is plaintext too.
 */
public final class TestPki {

    private TestPki() {}

    /** The PKI directory: the container stack's, else {@code $VMFLOW_PKI}, else {@code $VMFLOW_HOME/pki}. */
    public static Path dir() {
        Optional<Path> containers = RealStack.containerPki();
        if (containers.isPresent()) {
            return containers.get();
        }
        String pki = System.getenv("VMFLOW_PKI");
        if (pki != null) {
            return Path.of(pki);
        }
        String home = System.getenv("VMFLOW_HOME");
        return (home != null ? Path.of(home) : repoRoot().resolve(".vmflow")).resolve("pki");
    }

    /** The repository's root (where ops/pki.sh is), from the working directory up. */
    public static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isExecutable(p.resolve("ops/pki.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException(
                "ops/pki.sh not found above " + Path.of("").toAbsolutePath());
    }

    /**
     * A principal's directory (ops/pki.sh DIR issue ROLE NAME, with 127.0.0.1 as its address), its
     * role's ACLs granted when the stack runs with TLS.
     */
    public static synchronized Path principal(String role, String name) {
        Path dir = dir();
        run(List.of(repoRoot().resolve("ops/pki.sh").toString(), dir.toString(), "issue", role, name, "127.0.0.1"));
        Endpoints admin = RealStack.endpoints();
        if (admin.tlsDir() != null) {
            try (Admin a = Admin.create(admin.admin())) {
                List<org.apache.kafka.common.acl.AclBinding> acls = KafkaAccess.of(new Identity(role, name));
                if (!acls.isEmpty()) {
                    a.createAcls(acls).all().get(60, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                throw new IllegalStateException("granting " + role + "." + name + " its ACLs: " + e, e);
            }
        }
        return dir.resolve(role + "." + name);
    }

    /** The test stack's endpoints as this principal (plaintext when the stack is). */
    public static Endpoints endpoints(String role, String name) {
        Endpoints e = RealStack.endpoints();
        return e.tlsDir() == null ? e : e.as(principal(role, name));
    }

    /** The environment that makes a service process speak to Kafka as this principal. */
    public static Map<String, String> kafkaEnv(String role, String name) {
        return RealStack.endpoints().tlsDir() == null
                ? Map.of("VMFLOW_KAFKA_PLAINTEXT", "true")
                : Map.of("VMFLOW_KAFKA_TLS_DIR", principal(role, name).toString());
    }

    private static void run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(cmd + " failed: " + out);
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException(cmd + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(cmd + " interrupted", e);
        }
    }
}
