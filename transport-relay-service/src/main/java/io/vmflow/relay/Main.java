package io.vmflow.relay;

import io.vmflow.relay.config.RelayConfig;
import io.vmflow.runtime.kafka.Endpoints;
import java.util.concurrent.CountDownLatch;

/** Starts a transport relay from the environment; a bad configuration exits 2 with the reason. */
public final class Main {

    private Main() {}

    public static void main(String[] args) throws Exception {
        RelayConfig config;
        try {
            config = RelayConfig.from(System.getenv(), Endpoints.fromEnvironment());
        } catch (IllegalArgumentException e) {
            System.err.println("vmflow transport relay: " + e.getMessage());
            System.exit(2);
            return;
        }
        TransportRelay relay = new TransportRelay(config).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            relay.close();
                            stopped.countDown();
                        },
                        "shutdown"));
        stopped.await();
    }
}
