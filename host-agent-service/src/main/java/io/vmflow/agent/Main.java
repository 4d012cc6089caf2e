package io.vmflow.agent;

import io.vmflow.agent.config.AgentConfig;
import io.vmflow.runtime.kafka.Endpoints;
import java.util.concurrent.CountDownLatch;

/** Starts a host agent from the environment; a bad configuration exits 2 with the reason. */
public final class Main {

    private Main() {}

    public static void main(String[] args) throws Exception {
        AgentConfig config;
        try {
            config = AgentConfig.from(System.getenv(), Endpoints.fromEnvironment());
        } catch (IllegalArgumentException e) {
            System.err.println("vmflow host agent: " + e.getMessage());
            System.exit(2);
            return;
        }
        HostAgent agent = new HostAgent(config).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            agent.close();
                            stopped.countDown();
                        },
                        "shutdown"));
        stopped.await();
    }
}
