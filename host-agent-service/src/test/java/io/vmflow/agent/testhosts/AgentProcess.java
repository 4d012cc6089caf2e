package io.vmflow.agent.testhosts;

import static org.awaitility.Awaitility.await;

import io.vmflow.agent.Main;
import io.vmflow.runtime.kafka.Endpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A host agent in a JVM of its own, so that a test can kill -9 it mid-migration. */
public final class AgentProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private AgentProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts an agent with this configuration and waits until it consumes its commands. */
    public static AgentProcess start(Map<String, String> env) throws IOException {
        Path log = Files.createTempFile("agent", ".log");
        Endpoints endpoints = Endpoints.fromEnvironment();
        ProcessBuilder pb = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        Main.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        pb.environment().put("KAFKA_BOOTSTRAP_SERVERS", endpoints.bootstrapServers());
        pb.environment().put("SCHEMA_REGISTRY_URL", endpoints.registryUrl());
        AgentProcess p = new AgentProcess(pb.start(), log);
        Runtime.getRuntime().addShutdownHook(new Thread(p.process::destroyForcibly));
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> p.log().contains(" consuming ") || !p.process.isAlive());
        if (!p.process.isAlive()) {
            throw new IllegalStateException("the agent exited at start:\n" + p.log());
        }
        return p;
    }

    /** SIGKILL: no shutdown hook, no goodbye, libvirt connections dropped mid-call. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
