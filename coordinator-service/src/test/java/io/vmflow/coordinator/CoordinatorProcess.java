package io.vmflow.coordinator;

import static org.awaitility.Awaitility.await;

import io.vmflow.testsupport.auth.TestTokens;
import io.vmflow.testsupport.process.ServiceProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/** The coordinator in a JVM of its own, so a test can kill -9 it. */
final class CoordinatorProcess implements AutoCloseable {

    private static final java.net.http.HttpClient HTTP = io.vmflow.testsupport.TestHttps.client();

    private final ServiceProcess process;

    private CoordinatorProcess(ServiceProcess process) {
        this.process = process;
    }

    static CoordinatorProcess start(Map<String, String> env) throws IOException {
        String id = env.getOrDefault("VMFLOW_COORDINATOR_ID", "coordinator");
        Map<String, String> withTokens = new java.util.HashMap<>(TestTokens.coordinatorEnv());
        withTokens.putAll(io.vmflow.testsupport.TestPki.kafkaEnv("coordinator", id.replaceAll("[^A-Za-z0-9_-]", "-")));
        withTokens.putAll(env);
        return new CoordinatorProcess(
                ServiceProcess.startService("coordinator " + id, Main.class, withTokens, "restored"));
    }

    /** Starts it again after {@link #killHard()}, with the same configuration and log. */
    CoordinatorProcess restart() throws IOException {
        process.start();
        return this;
    }

    /** Waits until this instance has taken partitions (it logs "restored ... for partitions [..]"). */
    void awaitPartitions() {
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> log().matches("(?s).*restored .* for partitions \\[[0-9].*"));
    }

    /** Waits until this instance's inventory lists every one of the guests on the host (asked over its HTTP API). */
    void awaitGuests(String hostId, java.util.Collection<String> guests) {
        await("the coordinator's inventory lists " + guests + " on " + hostId + " (its HTTP API must be on)")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    // the API starts after the engine restored its partitions: until it logs its port, keep waiting
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("HTTP API on https?://[^:]+:(\\d+)")
                            .matcher(log());
                    if (!m.find()) {
                        return false;
                    }
                    // HTTP/1.1 (TestHttps): the JDK client's default h2c upgrade attempt against Vert.x failed now and
                    // then with "Frame type(34) ... exceeds MAX_FRAME_SIZE" (the second child of MultiCoordinatorIT)
                    var response = HTTP.send(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                                            io.vmflow.testsupport.TestHttps.base(Integer.parseInt(m.group(1)))
                                                    + "/dashboard/board"))
                                    .header("Authorization", TestTokens.bearer("it-viewer", "viewer"))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    var hosts = new io.vertx.core.json.JsonObject(response.body()).getJsonArray("hosts");
                    return hosts.stream()
                            .map(io.vertx.core.json.JsonObject.class::cast)
                            .filter(h -> hostId.equals(h.getString("hostId")))
                            .anyMatch(h -> h.getJsonArray("guests").stream()
                                    .map(String::valueOf)
                                    .toList()
                                    .containsAll(guests));
                });
    }

    /** What it logged since its last start. */
    String log() throws IOException {
        return process.logSinceStart();
    }

    /** SIGKILL: no shutdown hook, no flush, no goodbye. */
    void killHard() throws InterruptedException {
        process.kill();
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
