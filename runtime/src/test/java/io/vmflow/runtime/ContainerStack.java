package io.vmflow.runtime;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import io.vmflow.runtime.kafka.Endpoints;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.MountableFile;

/**
 * The broker and the registry in containers (Testcontainers), for a run with no stack in its
 * environment: an IDE, or ops/test.sh's container pass. The images are vmflow's own, built here from
 * Debian and Maven Central by ops/images/build.sh (tag {@code VMFLOW_IMAGE_TAG}, default {@code local});
 * nothing is pulled. The same mutual TLS as deployed, with a CA of its own made by ops/pki.sh; the
 * topics, ACLs and schemas by the {@code vmflow/cli} image's {@code setup}, as docker-compose.yml does.
 * Started once per JVM, removed when it exits. Testcontainers pulls its reaper (Ryuk) and its start-up
 * check's image unless told not to, and no image registry is reachable here: the failsafe plugin sets
 * {@code TESTCONTAINERS_RYUK_DISABLED=true}, {@code TESTCONTAINERS_CHECKS_DISABLE=true} and, since inside
 * a container it would ask an alpine container for the engine's address,
 * {@code TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1} (an IDE's run configuration needs the same three).
 */
final class ContainerStack {

    private static Endpoints endpoints;
    private static Path pki;
    private static RuntimeException failure;

    private ContainerStack() {}

    /** Whether this run has a Docker engine to start the stack in. */
    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The stack's endpoints as its admin principal, the containers started on first use. */
    static synchronized Endpoints endpoints() {
        if (failure != null) {
            throw failure; // one try per JVM: a stack that did not start once will not for the next test
        }
        if (endpoints == null) {
            try {
                pki = createPki();
                endpoints = start(pki);
            } catch (RuntimeException e) {
                failure = e;
                throw e;
            }
        }
        return endpoints;
    }

    private static String image(String name) {
        String tag = System.getenv().getOrDefault("VMFLOW_IMAGE_TAG", "local");
        String image = "vmflow/" + name + ":" + tag;
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image).exec();
        } catch (RuntimeException e) {
            throw new IllegalStateException("the image " + image + " is not on this Docker engine (nothing is pulled):"
                    + " build vmflow's images with ops/images/build.sh");
        }
        return image;
    }

    /** The stack's CA directory (ops/pki.sh's layout): where a test issues the principals it needs. */
    static synchronized Path pki() {
        endpoints();
        return pki;
    }

    private static Path createPki() {
        Path root = Path.of("..").toAbsolutePath().normalize();
        try {
            Path pki = Files.createTempDirectory("vmflow-container-pki");
            for (List<String> op : List.of(
                    List.of("init"),
                    List.of("issue", "broker", "kafka-1", "127.0.0.1"),
                    List.of("issue", "registry", "registry", "127.0.0.1"),
                    List.of("issue", "admin", "vmflow"))) {
                List<String> argv = new java.util.ArrayList<>(
                        List.of(root.resolve("ops/pki.sh").toString(), pki.toString()));
                argv.addAll(op);
                Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("ops/pki.sh " + op + " failed: " + out);
                }
            }
            // the broker's principal is mounted, not copied: a revocation (ops/pki.sh revoke rewrites
            // every principal's crl.pem) reaches it at its next handshake, as on the deployed brokers;
            // readable by the image's unprivileged user (a test CA's keys, nothing else)
            Path broker = pki.resolve("broker.kafka-1");
            broker.toFile().setReadable(true, false);
            broker.toFile().setExecutable(true, false);
            try (java.util.stream.Stream<Path> files = Files.list(broker)) {
                files.forEach(f -> f.toFile().setReadable(true, false));
            }
            return pki;
        } catch (IOException e) {
            throw new IllegalStateException("preparing the container stack's CA: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    private static Endpoints start(Path pki) {
        int kafkaPort;
        try (ServerSocket s = new ServerSocket(0)) {
            kafkaPort = s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("choosing the broker's port: " + e, e);
        }
        Network network = Network.newNetwork();
        // the broker advertises the port it is published on, so the port is chosen before it starts
        GenericContainer<?> kafka = new GenericContainer<>(image("kafka"))
                .withNetwork(network)
                .withNetworkAliases("kafka-1")
                .withEnv("KAFKA_ADVERTISED", "127.0.0.1:" + kafkaPort)
                .withCreateContainerCmdModifier(cmd -> {
                    cmd.withHostName("kafka-1").withExposedPorts(ExposedPort.tcp(9092));
                    cmd.getHostConfig()
                            .withPortBindings(new PortBinding(
                                    Ports.Binding.bindIpAndPort("127.0.0.1", kafkaPort), ExposedPort.tcp(9092)));
                })
                .waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(3)));
        kafka.withFileSystemBind(pki.resolve("broker.kafka-1").toString(), "/etc/vmflow/tls", BindMode.READ_ONLY);
        GenericContainer<?> registry = new GenericContainer<>(image("registry"))
                .withNetwork(network)
                .withNetworkAliases("registry")
                .withExposedPorts(8081)
                .waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(3)));
        tls(registry, pki.resolve("registry.registry"), "cert.pem", "key.pem", "ca.crt");
        Path keys = pki;
        Runnable remove = () -> {
            registry.stop();
            kafka.stop();
            network.close();
            deleteTree(keys); // a test CA, but its keys need not outlive the run
        };
        Runtime.getRuntime().addShutdownHook(new Thread(remove));
        kafka.start();
        registry.start();
        StringBuilder setupLog = new StringBuilder();
        GenericContainer<?> setup = new GenericContainer<>(image("cli"))
                .withLogConsumer(frame -> setupLog.append(frame.getUtf8String()))
                .withNetwork(network)
                .withEnv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:29092")
                .withEnv("SCHEMA_REGISTRY_URL", "https://registry:8081/apis/ccompat/v7")
                .withEnv("VMFLOW_KAFKA_TLS_DIR", "/etc/vmflow/tls")
                .withCommand("setup")
                .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofMinutes(3)));
        tls(setup, pki.resolve("admin.vmflow"), "keystore.pem", "cert.pem", "key.pem", "ca.crt");
        try {
            setup.start();
        } catch (RuntimeException e) {
            throw new IllegalStateException("vmflow setup in the container stack failed: " + setupLog, e);
        } finally {
            setup.stop();
        }
        return new Endpoints(
                "127.0.0.1:" + kafkaPort,
                "https://127.0.0.1:" + registry.getMappedPort(8081) + "/apis/ccompat/v7",
                pki.resolve("admin.vmflow"));
    }

    private static void deleteTree(Path dir) {
        try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
            all.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete the container stack's test CA in " + dir + ": " + e);
        }
    }

    /** A principal's files, readable by the image's unprivileged user (a test CA's keys, nothing else). */
    private static void tls(GenericContainer<?> c, Path dir, String... files) {
        for (String f : files) {
            c.withCopyFileToContainer(MountableFile.forHostPath(dir.resolve(f), 0644), "/etc/vmflow/tls/" + f);
        }
    }
}
