package io.vmflow.agent.management;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vmflow.runtime.kafka.Loops;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The agent's management port: {@code /health} (the process lives), {@code /ready} (it consumes its
 * commands and libvirt answers) and {@code /metrics} (Prometheus). Plain JDK HTTP server on its own
 * thread: nothing here blocks a migration.
 */
public final class ManagementServer implements AutoCloseable {

    private final HttpServer server;

    public ManagementServer(InetSocketAddress address, Supplier<Loops.Check> ready, Supplier<String> metrics)
            throws IOException {
        server = HttpServer.create(address, 16);
        server.createContext("/health", ex -> answer(ex, 200, "text/plain", "UP\n"));
        server.createContext("/ready", ex -> {
            Loops.Check r = ready.get();
            answer(ex, r.ok() ? 200 : 503, "text/plain", r.text());
        });
        server.createContext("/metrics", ex -> answer(ex, 200, "text/plain; version=0.0.4", metrics.get()));
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "agent-management");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private static void answer(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
