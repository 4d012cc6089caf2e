package io.vmflow.coordinator;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The coordinator in a JVM of its own, so a test can kill -9 it. */
final class CoordinatorProcess implements AutoCloseable {

    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1)
            .build();

    private final Process process;
    private final Path log;

    private CoordinatorProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static CoordinatorProcess start(Map<String, String> env) throws IOException {
        Path log = Files.createTempFile("coordinator", ".log");
        ProcessBuilder pb = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        Main.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        CoordinatorProcess p = new CoordinatorProcess(pb.start(), log);
        // a test that fails before closing it must not leave it running (in the consumer group) for the next
        Runtime.getRuntime().addShutdownHook(new Thread(p.process::destroyForcibly));
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> p.log().contains("restored") || !p.process.isAlive());
        if (!p.process.isAlive()) {
            throw new IllegalStateException("the coordinator exited at start:\n" + p.log());
        }
        return p;
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
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("HTTP API on http://[^:]+:(\\d+)")
                            .matcher(log());
                    if (!m.find()) {
                        return false;
                    }
                    // HTTP/1.1: the JDK client's default h2c upgrade attempt against Vert.x failed now and then with
                    // "Frame type(34) ... exceeds MAX_FRAME_SIZE" (the second child of MultiCoordinatorIT, CI twice)
                    var response = HTTP.send(
                            java.net.http.HttpRequest.newBuilder(
                                            java.net.URI.create("http://127.0.0.1:" + m.group(1) + "/dashboard/board"))
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

    String log() throws IOException {
        return Files.readString(log);
    }

    /** SIGKILL: no shutdown hook, no flush, no goodbye. */
    void killHard() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
