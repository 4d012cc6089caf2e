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

    private final Process process;
    private final Path log;

    private CoordinatorProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static CoordinatorProcess start(Map<String, String> env) throws IOException {
        Path log = Files.createTempFile("coordinator", ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        CoordinatorProcess p = new CoordinatorProcess(pb.start(), log);
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> p.log().contains("restored") || !p.process.isAlive());
        if (!p.process.isAlive()) {
            throw new IllegalStateException("the coordinator exited at start:\n" + p.log());
        }
        return p;
    }

    /** Waits until this instance has taken partitions (it logs "restored ... for partitions [..]"). */
    void awaitPartitions() {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> log().matches("(?s).*restored .* for partitions \\[[0-9].*"));
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
