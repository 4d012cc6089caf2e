package io.vmflow.agent.testhosts;

import io.vmflow.agent.Main;
import io.vmflow.testsupport.process.ServiceProcess;
import java.io.IOException;
import java.util.Map;

/** A host agent in a JVM of its own, so that a test can kill -9 it mid-migration and start it again. */
public final class AgentProcess implements AutoCloseable {

    private final ServiceProcess process;

    private AgentProcess(ServiceProcess process) {
        this.process = process;
    }

    /** Starts an agent with this configuration and waits until the group gave it its commands. */
    public static AgentProcess start(Map<String, String> env) throws IOException {
        String host = env.getOrDefault("VMFLOW_AGENT_HOST_ID", "agent");
        return new AgentProcess(
                ServiceProcess.startService("agent " + host, Main.class, env, "host agent " + host + " consuming "));
    }

    /** Starts it again after {@link #kill()}, with the same configuration and log. */
    public AgentProcess restart() throws IOException {
        process.start();
        return this;
    }

    /** SIGKILL: no shutdown hook, no goodbye, libvirt connections dropped mid-call. */
    public void kill() throws InterruptedException {
        process.kill();
    }

    /** What it logged since its last start. */
    public String log() throws IOException {
        return process.logSinceStart();
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
