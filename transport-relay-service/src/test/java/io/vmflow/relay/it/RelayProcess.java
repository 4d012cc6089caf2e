package io.vmflow.relay.it;

import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.testsupport.TestPki;
import io.vmflow.testsupport.process.ServiceProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real transport relay in a JVM of its own (so that a test can kill it with SIGKILL, as a crash
 * would), configured like ops/relays.sh does for a test host.
 */
public final class RelayProcess implements AutoCloseable {

    private final String hostId;
    private final Map<String, String> env;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final int tlsPort;
    private final int managementPort;
    private final ServiceProcess process;

    public RelayProcess(String hostId, Path pki, Path socketDir, Path log) throws IOException {
        this.hostId = hostId;
        this.tlsPort = freePort();
        this.managementPort = freePort();
        Endpoints e = Endpoints.fromEnvironment();
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                "VMFLOW_RELAY_HOST_ID",
                hostId,
                "VMFLOW_RELAY_LISTEN",
                "127.0.0.1:" + tlsPort,
                "VMFLOW_RELAY_SOCKET_DIR",
                socketDir.toString(),
                "VMFLOW_RELAY_TLS_DIR",
                pki.resolve("relay." + hostId).toString(),
                "VMFLOW_RELAY_MANAGEMENT",
                "127.0.0.1:" + managementPort,
                "VMFLOW_RELAY_DRAIN_SECONDS",
                "5",
                "KAFKA_BOOTSTRAP_SERVERS",
                e.bootstrapServers(),
                "SCHEMA_REGISTRY_URL",
                e.registryUrl()));
        env.putAll(TestPki.kafkaEnv("relay", hostId));
        this.env = Map.copyOf(env);
        this.process =
                new ServiceProcess("relay " + hostId, "io.vmflow.relay.Main", "1g", env, log, since -> answersReady());
    }

    /** The test stack's PKI with a relay certificate for each of these hosts (ops/pki.sh). */
    public static Path devPki(Path repoRoot, String... hosts) {
        for (String h : hosts) {
            TestPki.principal("relay", h);
        }
        return TestPki.dir();
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
                pki.resolve("relay." + hostId).resolve("cert.pem").toString());
    }

    public RelayProcess start() throws IOException {
        process.start();
        return this;
    }

    private boolean answersReady() throws InterruptedException {
        try {
            return HTTP.send(
                                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/ready"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** host:port of its TLS port, as host state would publish it. */
    public String endpoint() {
        return "127.0.0.1:" + tlsPort;
    }

    /** Its /ready answer: the status code, then the body. */
    public String ready() throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/ready"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    /** Whether its process runs. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Its Prometheus metrics. */
    public String metrics() throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** SIGKILL, as a crash. */
    public void kill() throws InterruptedException {
        process.kill();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
