package io.vmflow.coordinator.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicInteger;

/** The live dashboard's routes: the page, the board as JSON, and the board as server-sent events. */
final class DashboardRoutes {

    private static final int MAX_STREAMS = 64;

    private final Vertx vertx;
    private final Dashboard dashboard;
    private final String page;
    private final AtomicInteger streams = new AtomicInteger();
    private final Access access;

    DashboardRoutes(Vertx vertx, Dashboard dashboard, String page, Access access) {
        this.access = access;
        this.vertx = vertx;
        this.dashboard = dashboard;
        this.page = page;
    }

    /** The page is static and public (it holds no data); what it shows needs a viewer's token. */
    void mount(Router r) {
        r.get("/dashboard")
                .handler(c -> c.response()
                        .putHeader("Content-Type", "text/html; charset=utf-8")
                        .putHeader("Cache-Control", "no-cache")
                        .end(page));
        r.get("/dashboard/board")
                .handler(access.require(Access.Role.VIEWER))
                .handler(c -> HttpApi.json(c, 200, Dashboard.stamped(dashboard.board())));
        r.get("/dashboard/stream").handler(access.require(Access.Role.VIEWER)).handler(this::stream);
    }

    /**
     * Server-sent events for the dashboard: the board whenever it changes (looked at four times a
     * second) and at least every five seconds; a client that does not keep up skips boards.
     */
    private void stream(RoutingContext c) {
        if (streams.incrementAndGet() > MAX_STREAMS) {
            streams.decrementAndGet();
            HttpApi.error(
                    c,
                    503,
                    "TOO_MANY_VIEWERS",
                    MAX_STREAMS + " dashboards are open on this coordinator; close one" + " or poll /dashboard/board");
            return;
        }
        HttpServerResponse res = c.response()
                .setChunked(true)
                .putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-cache");
        res.write("retry: 2000\n\n");
        String[] shown = {null};
        long[] shownAt = {0};
        long timer = vertx.setPeriodic(0, Dashboard.TICK_MS, t -> {
            Dashboard.Frame f = dashboard.frame(); // one computation per tick shared by all viewers
            long now = System.currentTimeMillis();
            if ((f.text().equals(shown[0]) && now - shownAt[0] < 5000) || res.writeQueueFull()) {
                return;
            }
            shown[0] = f.text();
            shownAt[0] = now;
            res.write(f.event());
        });
        res.closeHandler(v -> {
            vertx.cancelTimer(timer);
            streams.decrementAndGet();
        });
    }
}
