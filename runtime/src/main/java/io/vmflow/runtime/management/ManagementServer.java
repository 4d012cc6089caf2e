package io.vmflow.runtime.management;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vmflow.runtime.kafka.Loops;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Every service's management port, the same in all three: {@code /health} (the process lives),
 * {@code /ready} (every loop beats and the service's own conditions hold; 503 with the reason
 * otherwise) and {@code /metrics} (Prometheus). The JDK's HTTP server on one thread of its own:
 * nothing here shares a thread with a migration, a stream or a Kafka loop.
 */
public final class ManagementServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;

    private ManagementServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Listens on {@code hostPort} ("HOST:PORT", port 0 for any free one). */
    public static ManagementServer start(
            String hostPort, String service, Supplier<Loops.Check> ready, ServiceMetrics metrics) throws IOException {
        int colon = hostPort.lastIndexOf(':');
        HttpServer s = HttpServer.create(
                new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))),
                16);
        s.createContext("/", ex -> {
            try (ex) {
                switch (ex.getRequestURI().getPath()) {
                    case "/health" -> answer(ex, 200, "text/plain; charset=utf-8", "UP\n");
                    case "/ready" -> {
                        Loops.Check r = ready.get();
                        answer(ex, r.ok() ? 200 : 503, "text/plain; charset=utf-8", r.text());
                    }
                    case "/metrics" -> answer(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
                    default -> answer(ex, 404, "text/plain; charset=utf-8", "try /health, /ready or /metrics\n");
                }
            }
        });
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, service + "-management");
            t.setDaemon(true);
            return t;
        });
        s.setExecutor(executor);
        s.start();
        return new ManagementServer(s, executor);
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    public int port() {
        return server.getAddress().getPort();
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
        executor.shutdownNow();
    }
}
