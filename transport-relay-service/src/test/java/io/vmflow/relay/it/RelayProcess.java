package io.vmflow.relay.it;

import static org.awaitility.Awaitility.await;

import io.vmflow.runtime.kafka.Endpoints;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real transport relay in a JVM of its own (so that a test can kill it with SIGKILL, as a crash
 * would), configured like ops/relays.sh does for a test host.
 */
public final class RelayProcess implements AutoCloseable {

    private final String hostId;
    private final Map<String, String> env;
    private final Path log;
    private final int tlsPort;
    private final int managementPort;
    private Process process;

    public RelayProcess(String hostId, Path pki, Path socketDir, Path log) throws IOException {
        this.hostId = hostId;
        this.log = log;
        this.tlsPort = freePort();
        this.managementPort = freePort();
        Endpoints e = Endpoints.fromEnvironment();
        this.env = Map.of(
                "VMFLOW_RELAY_HOST_ID",
                hostId,
                "VMFLOW_RELAY_LISTEN",
                "127.0.0.1:" + tlsPort,
                "VMFLOW_RELAY_SOCKET_DIR",
                socketDir.toString(),
                "VMFLOW_RELAY_TLS_DIR",
                pki.toString(),
                "VMFLOW_RELAY_MANAGEMENT",
                "127.0.0.1:" + managementPort,
                "VMFLOW_RELAY_DRAIN_SECONDS",
                "5",
                "KAFKA_BOOTSTRAP_SERVERS",
                e.bootstrapServers(),
                "SCHEMA_REGISTRY_URL",
                e.registryUrl());
    }

    /** A development CA and certificates for the test hosts (ops/pki.sh), in a fresh directory. */
    public static Path devPki(Path repoRoot, String... hosts) throws IOException, InterruptedException {
        Path pki = java.nio.file.Files.createTempDirectory("vmflow-pki");
        java.util.List<String> cmd = new java.util.ArrayList<>(
                java.util.List.of(repoRoot.resolve("ops/pki.sh").toString(), pki.toString()));
        for (String h : hosts) {
            cmd.add(h + "=127.0.0.1");
        }
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("ops/pki.sh failed: " + cmd);
        }
        return pki;
    }

    /** The relay of a test host, as ops/relays.sh configures it (its sockets in the host's /run/libvirt). */
    public static RelayProcess forTestHost(io.vmflow.testsupport.hosts.TestHost host, Path pki) throws IOException {
        return new RelayProcess(
                host.id(),
                pki,
                host.dir().resolve("run/vmflow-relay"),
                Path.of("target", "relay-" + host.id() + ".log"));
    }

    /** The agent configuration that points a host's agent at this relay. */
    public Map<String, String> agentEnv(Path pki) {
        return Map.of(
                "VMFLOW_AGENT_RELAY_ENDPOINT",
                endpoint(),
                "VMFLOW_AGENT_RELAY_CERT",
                pki.resolve(hostId + ".crt").toString());
    }

    public RelayProcess start() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx1g",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "io.vmflow.relay.Main")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        process = pb.start();
        Process started = process;
        // a test that fails before closing it must not leave it running for the next
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly));
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(
                                "relay " + hostId + " exited " + process.exitValue() + "; see " + log);
                    }
                    try {
                        return http.send(
                                                HttpRequest.newBuilder(URI.create(
                                                                "http://127.0.0.1:" + managementPort + "/ready"))
                                                        .build(),
                                                HttpResponse.BodyHandlers.discarding())
                                        .statusCode()
                                == 200;
                    } catch (IOException e) {
                        return false;
                    }
                });
        return this;
    }

    /** host:port of its TLS port, as host state would publish it. */
    public String endpoint() {
        return "127.0.0.1:" + tlsPort;
    }

    /** Its /ready answer: the status code, then the body. */
    public String ready() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/ready"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    /** Whether its process runs. */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Its Prometheus metrics. */
    public String metrics() throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** SIGKILL, as a crash. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}
