package io.vmflow.ops.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real coordinator in a process of its own (this repository's build of it), so the benchmark can
 * read its heap and RSS, and kill -9 it and time its recovery. Its settings come from the environment
 * ops/bench/control-plane.sh prepares (its principal, the private stack's broker and registry).
 */
final class CoordinatorUnderTest implements AutoCloseable {

    static final String MANAGEMENT = "127.0.0.1:" + System.getenv().getOrDefault("BENCH_COORDINATOR_PORT", "29181");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final ProcessBuilder builder;
    private Process process;

    private CoordinatorUnderTest(ProcessBuilder builder) {
        this.builder = builder;
    }

    static CoordinatorUnderTest start() throws IOException, InterruptedException {
        Path root = Path.of(System.getenv().getOrDefault("VMFLOW_ROOT", "."));
        Path target = root.resolve("coordinator-service/target");
        String classpath =
                target.resolve("vmflow-coordinator-service-0.1.0-SNAPSHOT.jar") + ":" + target.resolve("lib") + "/*";
        String heap = System.getenv().getOrDefault("BENCH_COORDINATOR_HEAP", "512m");
        List<String> command = new java.util.ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap));
        String jfr = System.getenv("BENCH_COORDINATOR_JFR");
        if (jfr != null && !jfr.isBlank()) {
            // where the coordinator's time goes: a flight recording of each life (a kill -9 writes none, so
            // each is dumped while the process lives: the first after the load, the second after recovery)
            command.add("-XX:StartFlightRecording=settings=profile");
        }
        command.addAll(List.of("-cp", classpath, "io.vmflow.coordinator.Main"));
        ProcessBuilder b = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        Path.of(System.getenv().getOrDefault("BENCH_COORDINATOR_LOG", "coordinator-bench.log"))
                                .toFile()));
        Map<String, String> env = b.environment();
        env.put("VMFLOW_KAFKA_TLS_DIR", System.getenv("BENCH_COORDINATOR_TLS_DIR"));
        env.put("VMFLOW_COORDINATOR_ID", "bench-coordinator");
        env.put("VMFLOW_COORDINATOR_HTTP", "off");
        env.put("VMFLOW_COORDINATOR_MANAGEMENT", MANAGEMENT);
        env.putIfAbsent("VMFLOW_COORDINATOR_OUTBOUND_LIMIT", "4");
        env.putIfAbsent("VMFLOW_COORDINATOR_INBOUND_LIMIT", "4");
        env.putIfAbsent("VMFLOW_COORDINATOR_CLUSTER_LIMIT", "1000");
        // the open migrations the benchmark holds stay open while it measures (not timed out in 2 minutes)
        env.putIfAbsent("VMFLOW_COORDINATOR_STEP_TIMEOUT_MS", "3600000");
        CoordinatorUnderTest c = new CoordinatorUnderTest(b);
        c.launch();
        return c;
    }

    private void launch() throws IOException, InterruptedException {
        process = builder.start();
        long until = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (!ready()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the coordinator exited with " + process.exitValue()
                        + " (its log: " + System.getenv().getOrDefault("BENCH_COORDINATOR_LOG", "coordinator-bench.log")
                        + ")");
            }
            if (System.nanoTime() > until) {
                throw new IllegalStateException("the coordinator was not ready in 5 minutes");
            }
            Thread.sleep(20);
        }
    }

    private boolean ready() {
        try {
            return HTTP.send(
                                    HttpRequest.newBuilder(URI.create("http://" + MANAGEMENT + "/ready"))
                                            .timeout(Duration.ofSeconds(2))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL, then the same process again, returning when it is ready. */
    void killAndRestart() throws IOException, InterruptedException {
        process.destroyForcibly();
        process.waitFor();
        launch();
    }

    /**
     * Writes the flight recording so far (BENCH_COORDINATOR_JFR), when there is one, to that file, or
     * with a suffix before its extension (e.g. "restart" for the life after the kill).
     */
    void dumpRecording(String suffix) throws IOException, InterruptedException {
        String jfr = System.getenv("BENCH_COORDINATOR_JFR");
        if (jfr != null && !jfr.isBlank()) {
            jcmd(
                    "JFR.dump",
                    "filename=" + (suffix.isEmpty() ? jfr : jfr.replaceFirst("(\\.jfr)?$", "-" + suffix + ".jfr")));
        }
    }

    private void jcmd(String... command) throws IOException, InterruptedException {
        List<String> line = new java.util.ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid())));
        line.addAll(List.of(command));
        Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor(60, TimeUnit.SECONDS);
    }

    /** A full collection (jcmd), so the heap figure is what it keeps, not what it has not collected yet. */
    void gc() throws IOException, InterruptedException {
        jcmd("GC.run");
    }

    /** Heap in use, from its /metrics (every heap pool), or -1. */
    long heapUsed() {
        try {
            String metrics = HTTP.send(
                            HttpRequest.newBuilder(URI.create("http://" + MANAGEMENT + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            return metrics.lines()
                    .filter(l -> l.startsWith("jvm_memory_used_bytes{") && l.contains("area=\"heap\""))
                    .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                    .sum();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** CPU time the process used so far (user + system, /proc), in seconds, or -1. */
    double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime: clock ticks
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Resident set size (/proc), or -1. */
    long rss() {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status")).stream()
                    .filter(l -> l.startsWith("VmRSS:"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024)
                    .findFirst()
                    .orElse(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
