package io.vmflow.testsupport.process;

import static org.awaitility.Awaitility.await;

import io.vmflow.runtime.RealStack;
import io.vmflow.runtime.kafka.Endpoints;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A vmflow service in a JVM of its own (the test's classpath or its module's, its main class, its environment), so that
 * a test can kill it with SIGKILL as a crash would and start it again: every start appends to one log
 * file and waits until the service says it is ready, or fails with the log when it exits instead.
 */
public final class ServiceProcess implements AutoCloseable {

    /** When a started service counts as ready, given what it logged since this start. */
    @FunctionalInterface
    public interface Readiness {
        boolean ready(String logSinceStart) throws Exception;
    }

    /**
     * JVM options for a service a test restarts dozens of times on two cores it shares with TCG guests:
     * the serial collector and the first JIT tier alone about halve the CPU a start costs (measured up to
     * a Kafka client over TLS, on a loaded machine: 1.2-1.3 CPU-s in two runs against 2.1-2.4 in four). Not for the relay: it carries the memory
     * stream, whose throughput wants the optimising compiler.
     */
    public static final List<String> QUICK_START = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final String name;
    private final String mainClass;
    private final String heap;
    private final Map<String, String> env;
    private final Path log;
    private final Readiness readiness;
    private final List<String> jvmOptions;
    private String classpath = System.getProperty("java.class.path");
    private Process process;
    private long logStart;

    public ServiceProcess(
            String name, String mainClass, String heap, Map<String, String> env, Path log, Readiness readiness) {
        this(name, mainClass, heap, List.of(), env, log, readiness);
    }

    public ServiceProcess(
            String name,
            String mainClass,
            String heap,
            List<String> jvmOptions,
            Map<String, String> env,
            Path log,
            Readiness readiness) {
        this.jvmOptions = List.copyOf(jvmOptions);
        this.name = name;
        this.mainClass = mainClass;
        this.heap = heap;
        this.env = new HashMap<>(env);
        this.log = log;
        this.readiness = readiness;
    }

    /**
     * Starts a vmflow service's main class with a 256 MiB heap and {@link #QUICK_START}, the environment's broker and registry
     * unless {@code env} names others, a log of its own, and waits until it logs {@code readyText}.
     */
    public static ServiceProcess startService(String name, Class<?> main, Map<String, String> env, String readyText)
            throws IOException {
        return service(name, main.getName(), env, readyText).start();
    }

    private static ServiceProcess service(String name, String mainClass, Map<String, String> env, String readyText)
            throws IOException {
        Endpoints endpoints = RealStack.endpoints();
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("KAFKA_BOOTSTRAP_SERVERS", endpoints.bootstrapServers());
        all.putIfAbsent("SCHEMA_REGISTRY_URL", endpoints.registryUrl());
        return new ServiceProcess(
                name,
                mainClass,
                "256m",
                QUICK_START,
                all,
                Files.createTempFile(name.replace(' ', '-'), ".log"),
                logs(readyText));
    }

    /**
     * The same, for a service of another module of this repository, on that module's built jar and
     * libraries (MODULE/target): a module's test runs a service its own classpath does not hold.
     */
    public static ServiceProcess startModule(
            String name, String module, String mainClass, Map<String, String> env, String readyText)
            throws IOException {
        Path target = io.vmflow.testsupport.TestPki.repoRoot().resolve(module).resolve("target");
        Path jar = target.resolve("vmflow-" + module + "-0.1.0-SNAPSHOT.jar");
        if (!Files.isRegularFile(jar) || !Files.isDirectory(target.resolve("lib"))) {
            throw new IllegalStateException(jar + " or its lib/ is missing: build the module first (./mvnw -pl "
                    + module + " -am package -DskipTests)");
        }
        ServiceProcess p = service(name, mainClass, env, readyText);
        p.classpath = jar + java.io.File.pathSeparator + target.resolve("lib") + java.io.File.separator + "*";
        return p.start();
    }

    /** A readiness that waits for a line of the log to contain {@code text}. */
    public static Readiness logs(String text) {
        return since -> since.contains(text);
    }

    /** Starts the service (again, after a kill or a stop) and waits until it is ready. */
    public ServiceProcess start() throws IOException {
        if (isAlive()) {
            throw new IllegalStateException(name + " already runs");
        }
        Files.createDirectories(log.toAbsolutePath().getParent());
        logStart = Files.exists(log) ? Files.size(log) : 0;
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + heap);
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classpath, mainClass));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        Process started = pb.start();
        process = started;
        // a test that fails before closing it must not leave it running (in consumer groups) for the next
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly));
        await(name + " ready (log: " + log + ")")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    if (!started.isAlive()) {
                        throw new IllegalStateException(
                                name + " exited with " + started.exitValue() + " at start:\n" + logSinceStart());
                    }
                    return readiness.ready(logSinceStart());
                });
        return this;
    }

    /** SIGKILL: no shutdown hook, no flush, connections dropped mid-call. */
    public void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** What it logged since its last start. */
    public String logSinceStart() throws IOException {
        byte[] all = Files.readAllBytes(log);
        int from = (int) Math.min(logStart, all.length);
        return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    }

    /** Everything it logged, over all its starts. */
    public String log() throws IOException {
        return Files.readString(log);
    }

    public Path logFile() {
        return log;
    }

    public String name() {
        return name;
    }

    /** A clean stop (SIGTERM; SIGKILL after 60 s). */
    @Override
    public void close() throws InterruptedException {
        if (isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
