package io.vmflow.coordinator;

import io.vmflow.coordinator.config.CoordinatorConfig;
import io.vmflow.runtime.kafka.Endpoints;
import java.util.concurrent.CountDownLatch;

/** Starts the coordinator from the environment; a bad configuration exits 2 with the reason. */
public final class Main {

    private Main() {}

    public static void main(String[] args) throws Exception {
        CoordinatorConfig config;
        try {
            config = CoordinatorConfig.from(System.getenv(), Endpoints.fromEnvironment());
        } catch (IllegalArgumentException e) {
            System.err.println("vmflow coordinator: " + e.getMessage());
            System.exit(2);
            return;
        }
        Coordinator coordinator = new Coordinator(config).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            coordinator.close();
                            stopped.countDown();
                        },
                        "shutdown"));
        stopped.await();
    }
}
