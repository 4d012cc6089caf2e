package io.vmflow.coordinator.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vmflow.avro.CancelRequest;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.avro.MigrationRequest;
import io.vmflow.coordinator.engine.Engine;
import io.vmflow.coordinator.engine.EventIndex;
import io.vmflow.coordinator.engine.MigrationView;
import io.vmflow.coordinator.inventory.Inventory;
import io.vmflow.coordinator.statemachine.MigrationPhase;
import io.vmflow.runtime.json.RecordJson;
import io.vmflow.runtime.serde.WireFormat;
import io.vmflow.schemas.reasons.ReasonCode;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The coordinator's HTTP API (Vert.x Web), described by {@code /openapi.yaml}. A create or a cancel
 * becomes the same record a Kafka producer would write, and the call returns at once with the
 * migration id (202); what happens then is in the migration's state and events. Kafka and registry
 * calls run on Vert.x's worker pool, never on the event loop. It speaks TLS 1.3. Every call but
 * {@code /openapi.yaml} and the dashboard's page needs a bearer token or a client certificate of the
 * vmflow CA ({@link Access}); the principal of a request or a cancel is the token's subject or the
 * certificate's principal. A body must be sent as {@code application/json}: an HTML form cannot post one.
 */
public final class HttpApi implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HttpApi.class);

    /** Event streams (GET /migrations/{id}/stream) open at once, at most. */
    static final int MAX_STREAMS = 256;

    /** What GET /migrations lists at most. */
    static final int LIST_LIMIT = 500;

    private final Vertx vertx;
    private final Engine engine;
    private final Inventory inventory;
    private final EventIndex events;
    private final Producer<String, byte[]> producer;
    private final WireFormat wire;
    private final DashboardRoutes dashboard;
    private final String openapi;
    private final Access access;
    private final java.util.concurrent.atomic.AtomicInteger streams = new java.util.concurrent.atomic.AtomicInteger();
    private HttpServer server;
    private RequestSchema schema;

    public HttpApi(
            Vertx vertx,
            Engine engine,
            Inventory inventory,
            EventIndex events,
            Producer<String, byte[]> producer,
            WireFormat wire,
            Dashboard dashboard,
            Access access) {
        this.access = access;
        this.dashboard = new DashboardRoutes(vertx, dashboard, resource("/dashboard/index.html"), access);
        this.vertx = vertx;
        this.engine = engine;
        this.inventory = inventory;
        this.events = events;
        this.producer = producer;
        this.wire = wire;
        this.openapi = resource("/openapi.yaml");
    }

    static String resource(String name) {
        try (InputStream in = HttpApi.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException(name + " missing from the coordinator's jar", e);
        }
    }

    /**
     * Listens, over TLS 1.3 with the certificate in {@code tls} (a principal directory: cert.pem,
     * key.pem, ca.crt, crl.pem when there is one) and asking for client certificates of its CA, or in
     * plain HTTP when {@code tls} is null (development only); returns the bound port. The files are
     * looked at every 10 s and loaded again when they change (a renewed certificate, a new revocation
     * list): new connections use them.
     */
    public int start(String host, int port, Path tls) throws Exception {
        schema = RequestSchema.load(vertx);
        Router r = Router.router(vertx);
        r.post().handler(HttpApi::jsonBodiesOnly); // before any body is read or parsed
        r.route().handler(BodyHandler.create().setBodyLimit(64 * 1024));
        r.post("/migrations").handler(access.require(Access.Role.OPERATOR)).handler(this::create);
        r.get("/migrations").handler(access.require(Access.Role.VIEWER)).handler(this::list);
        r.get("/migrations/:id").handler(access.require(Access.Role.VIEWER)).handler(this::get);
        r.post("/migrations/:id/cancel")
                .handler(access.require(Access.Role.OPERATOR))
                .handler(this::cancel);
        r.get("/migrations/:id/events")
                .handler(access.require(Access.Role.VIEWER))
                .handler(this::events);
        r.get("/migrations/:id/stream")
                .handler(access.require(Access.Role.VIEWER))
                .handler(this::stream);
        r.get("/hosts").handler(access.require(Access.Role.VIEWER)).handler(this::hosts);
        r.get("/openapi.yaml")
                .handler(c -> c.response()
                        .putHeader("Content-Type", "application/yaml")
                        .end(openapi));
        r.get("/").handler(c -> c.redirect("/dashboard"));
        dashboard.mount(r);
        server = vertx.createHttpServer(options(tls))
                .requestHandler(r)
                .listen(port, host)
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        if (tls != null) {
            watch(tls);
        }
        return server.actualPort();
    }

    static HttpServerOptions options(Path tls) {
        HttpServerOptions o = new HttpServerOptions();
        if (tls == null) {
            return o;
        }
        o.setSsl(true)
                .setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
                .setKeyCertOptions(new PemKeyCertOptions()
                        .setCertPath(tls.resolve("cert.pem").toString())
                        .setKeyPath(tls.resolve("key.pem").toString()))
                .setTrustOptions(
                        new PemTrustOptions().addCertPath(tls.resolve("ca.crt").toString()))
                // asked for, not required: a browser with a bearer token has none
                .setClientAuth(ClientAuth.REQUEST)
                .setSslHandshakeTimeout(10);
        if (Files.isReadable(tls.resolve("crl.pem"))) {
            o.addCrlPath(tls.resolve("crl.pem").toString());
        }
        return o;
    }

    private void watch(Path tls) {
        java.util.function.Supplier<List<Long>> stamps = () -> Stream.of("cert.pem", "key.pem", "ca.crt", "crl.pem")
                .map(f -> tls.resolve(f).toFile().lastModified())
                .toList();
        List<Long> seen = new java.util.ArrayList<>(stamps.get());
        vertx.setPeriodic(10_000, t -> {
            List<Long> now = stamps.get();
            if (now.equals(seen)) {
                return;
            }
            seen.clear();
            seen.addAll(now);
            server.updateSSLOptions(options(tls).getSslOptions(), true)
                    .onSuccess(ok -> LOG.info("the HTTP API's TLS files in {} changed; loaded again", tls))
                    .onFailure(e -> LOG.error(
                            "the HTTP API's TLS files in {} changed but do not load (keeping those loaded): {}",
                            tls,
                            e.toString()));
        });
    }

    private void create(RoutingContext c) {
        JsonObject body;
        try {
            body = c.body().asJsonObject();
        } catch (DecodeException | ClassCastException e) {
            error(c, 400, "MALFORMED_JSON", "the body must be a JSON object: " + e.getMessage());
            return;
        }
        if (body == null) {
            error(c, 400, "MALFORMED_JSON", "the body must be a JSON object describing the migration");
            return;
        }
        Optional<String> problems = schema.migrationRequest(body);
        if (problems.isPresent()) {
            error(c, 400, ReasonCode.INVALID_REQUEST.name(), problems.get() + " (the schema: GET /openapi.yaml)");
            return;
        }
        MigrationRequest request = RequestJson.request(body, Access.caller(c).principal());
        String id = request.getRequestId();
        blocking(() -> send(
                        TopicCatalogue.MIGRATION_REQUESTS.name(),
                        id,
                        wire.encode(TopicCatalogue.MIGRATION_REQUESTS.valueSubject(), request)))
                .onSuccess(v -> c.response()
                        .setStatusCode(202)
                        .putHeader("Location", "/migrations/" + id)
                        .putHeader("Content-Type", "application/json")
                        .end(new JsonObject()
                                .put("migrationId", id)
                                .put(
                                        "links",
                                        new JsonObject()
                                                .put("self", "/migrations/" + id)
                                                .put("events", "/migrations/" + id + "/events")
                                                .put("cancel", "/migrations/" + id + "/cancel"))
                                .encode()))
                .onFailure(
                        e -> error(c, 503, "KAFKA_UNAVAILABLE", "the request could not be stored: " + e.getMessage()));
    }

    private void get(RoutingContext c) {
        String id = c.pathParam("id");
        engine.view(id)
                .ifPresentOrElse(
                        v -> json(c, 200, view(v)),
                        () -> error(
                                c,
                                404,
                                ReasonCode.UNKNOWN_MIGRATION.name(),
                                "no migration " + id + " here (a new request takes a moment"
                                        + " to be read; with several coordinators, ask the one that owns it)"));
    }

    private void list(RoutingContext c) {
        String phase = c.queryParams().get("phase");
        String host = c.queryParams().get("host");
        String guest = c.queryParams().get("guest");
        String ended = c.queryParams().get("final");
        String limit = c.queryParams().get("limit");
        if (ended != null && !ended.equals("true") && !ended.equals("false")) {
            error(c, 400, ReasonCode.INVALID_REQUEST.name(), "final is true or false, not '" + ended + "'");
            return;
        }
        int most = LIST_LIMIT;
        if (limit != null) {
            try {
                most = Integer.parseInt(limit);
            } catch (NumberFormatException e) {
                most = 0;
            }
            if (most < 1 || most > LIST_LIMIT) {
                error(
                        c,
                        400,
                        ReasonCode.INVALID_REQUEST.name(),
                        "limit is 1 to " + LIST_LIMIT + ", not '" + limit + "'");
                return;
            }
        }
        List<MigrationView> l = engine.views().stream()
                .filter(v -> phase == null || v.phase().name().equalsIgnoreCase(phase))
                .filter(v -> host == null
                        || host.equals(v.spec().getSourceHost())
                        || host.equals(v.spec().getDestinationHost()))
                .filter(v -> guest == null || guest.equals(v.spec().getGuest()))
                .filter(v -> ended == null || v.phase().isFinal() == Boolean.parseBoolean(ended))
                .sorted(Comparator.comparing(MigrationView::createdAt).reversed())
                .limit(most)
                .toList();
        JsonArray a = new JsonArray();
        l.forEach(v -> a.add(view(v)));
        json(c, 200, new JsonObject().put("migrations", a));
    }

    /**
     * A migration's events as server-sent events ({@code event: migration-event}, the event's JSON as
     * data): those committed so far, then each as it is committed (looked at every 50 ms), until one of
     * a final phase; then the stream ends. A migration not known yet (its request was just sent) is
     * waited for, up to a minute; a comment every 15 s tells the client the coordinator is alive.
     */
    private void stream(RoutingContext c) {
        String id = c.pathParam("id");
        if (streams.incrementAndGet() > MAX_STREAMS) {
            streams.decrementAndGet();
            error(
                    c,
                    503,
                    "TOO_MANY_STREAMS",
                    MAX_STREAMS + " event streams are open on this coordinator; close one" + " or poll /migrations/"
                            + id + "/events");
            return;
        }
        HttpServerResponse res = c.response()
                .setChunked(true)
                .putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-cache");
        res.write(": events of " + id + "\n\n");
        EventFeed feed = new EventFeed(id, res);
        feed.timer = vertx.setPeriodic(0, 50, t -> feed.tick());
        res.closeHandler(v -> feed.finish());
    }

    /** One open event stream: what it has sent, when it last said anything, and its end. */
    private final class EventFeed {

        private final String id;
        private final HttpServerResponse res;
        private final long opened = System.currentTimeMillis();
        private long said = opened;
        private int sent;
        private boolean done;
        long timer;

        EventFeed(String id, HttpServerResponse res) {
            this.id = id;
            this.res = res;
        }

        /** Sends what was committed since the last look; ends after a final phase or a minute of nothing. */
        void tick() {
            List<MigrationEvent> l = events.of(id);
            long now = System.currentTimeMillis();
            for (; sent < l.size() && !res.writeQueueFull(); sent++) {
                MigrationEvent e = l.get(sent);
                res.write(
                        "event: migration-event\ndata: " + RequestJson.event(e).encode() + "\n\n");
                said = now;
                if (MigrationPhase.valueOf(e.getPhase().name()).isFinal()) {
                    end();
                    return;
                }
            }
            if (l.isEmpty() && now - opened > 60_000) {
                res.write("event: unknown-migration\ndata: "
                        + errorBody(
                                        ReasonCode.UNKNOWN_MIGRATION.name(),
                                        "no event of " + id + " in a minute: check the id, or ask the coordinator"
                                                + " that owns it")
                                .encode()
                        + "\n\n");
                end();
            } else if (now - said > 15_000) {
                res.write(": " + id + " goes on\n\n");
                said = now;
            }
        }

        private void end() {
            finish();
            res.end();
        }

        /** Stops looking and frees the stream's slot, once. */
        void finish() {
            if (!done) {
                done = true;
                vertx.cancelTimer(timer);
                streams.decrementAndGet();
            }
        }
    }

    /** Every host as its agent last reported it, by host id. */
    private void hosts(RoutingContext c) {
        JsonArray a = new JsonArray();
        inventory.hosts().stream()
                .sorted(Comparator.comparing(io.vmflow.avro.HostState::getHostId))
                .forEach(h -> a.add(new JsonObject(RecordJson.of(h))));
        json(c, 200, new JsonObject().put("hosts", a));
    }

    private void cancel(RoutingContext c) {
        String id = c.pathParam("id");
        var v = engine.view(id);
        if (v.isEmpty()) {
            error(c, 404, ReasonCode.UNKNOWN_MIGRATION.name(), "no migration " + id + " to cancel");
            return;
        }
        Access.Caller caller = Access.caller(c);
        if (caller.role() != Access.Role.ADMIN
                && !caller.principal().equals(v.get().principal())) {
            error(
                    c,
                    403,
                    "FORBIDDEN",
                    caller.principal() + " may cancel its own migrations; " + id + " was asked for by "
                            + v.get().principal() + " (an admin may cancel any)");
            return;
        }
        if (v.get().phase().isFinal()) {
            error(c, 409, "ALREADY_ENDED", id + " already ended " + v.get().phase());
            return;
        }
        String reason = null;
        try {
            JsonObject b = c.body().asJsonObject();
            Optional<String> problems = b == null ? Optional.empty() : schema.cancel(b);
            if (problems.isPresent()) {
                error(c, 400, ReasonCode.INVALID_REQUEST.name(), problems.get() + " (the schema: GET /openapi.yaml)");
                return;
            }
            reason = b == null ? null : b.getString("reason");
        } catch (DecodeException | ClassCastException e) {
            error(c, 400, "MALFORMED_JSON", "the body, when given, must be {\"reason\": \"...\"}");
            return;
        }
        CancelRequest cancel = new CancelRequest(
                "cancel-" + UUID.randomUUID().toString().substring(0, 8),
                id,
                caller.principal(),
                reason,
                Instant.now());
        blocking(() -> send(
                        TopicCatalogue.CANCEL_REQUESTS.name(),
                        id,
                        wire.encode(TopicCatalogue.CANCEL_REQUESTS.valueSubject(), cancel)))
                .onSuccess(x -> json(
                        c,
                        202,
                        new JsonObject()
                                .put("migrationId", id)
                                .put("cancelRequested", true)
                                .put("events", "/migrations/" + id + "/events")))
                .onFailure(
                        e -> error(c, 503, "KAFKA_UNAVAILABLE", "the cancel could not be stored: " + e.getMessage()));
    }

    private void events(RoutingContext c) {
        String id = c.pathParam("id");
        var l = events.of(id);
        if (l.isEmpty() && engine.view(id).isEmpty()) {
            error(c, 404, ReasonCode.UNKNOWN_MIGRATION.name(), "no events for " + id);
            return;
        }
        json(c, 200, new JsonObject().put("migrationId", id).put("events", RequestJson.events(l)));
    }

    static JsonObject view(MigrationView v) {
        return new JsonObject()
                .put("migrationId", v.id())
                .put("phase", v.phase().name())
                .put("final", v.phase().isFinal())
                .put("sequence", v.sequence())
                .put("principal", v.principal())
                .put("createdAt", v.createdAt().toString())
                .put(
                        "phaseSince",
                        v.phaseSince() == null ? null : v.phaseSince().toString())
                .put("priority", v.priority())
                .put("spec", RecordJson.of(v.spec()))
                .put("reason", RecordJson.of(v.lastReason()))
                .put("figures", RecordJson.of(v.lastFigures()));
    }

    /**
     * A POST with a body must declare it {@code application/json}: a cross-site HTML form can only send
     * form encodings or text/plain, so it is refused before anything is parsed (415).
     */
    private static void jsonBodiesOnly(RoutingContext c) {
        String type = c.request().getHeader("Content-Type");
        String length = c.request().getHeader("Content-Length");
        boolean hasBody = c.request().getHeader("Transfer-Encoding") != null
                || length != null && !length.trim().equals("0");
        boolean json = type != null && type.toLowerCase(java.util.Locale.ROOT).matches("application/json\\s*(;.*)?");
        if (hasBody && !json) {
            error(
                    c,
                    415,
                    "UNSUPPORTED_MEDIA_TYPE",
                    "send the body as Content-Type: application/json (got " + (type == null ? "none" : type) + ")");
            return;
        }
        c.next();
    }

    private void send(String topic, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }

    private interface Blocking {
        void run() throws Exception;
    }

    private Future<Void> blocking(Blocking b) {
        return vertx.executeBlocking(
                () -> {
                    b.run();
                    return null;
                },
                false);
    }

    static void json(RoutingContext c, int status, JsonObject body) {
        c.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(body.encode());
    }

    static void error(RoutingContext c, int status, String code, String message) {
        json(c, status, errorBody(code, message));
    }

    /** The API's error document: {"error": {"code", "message"}}. */
    static JsonObject errorBody(String code, String message) {
        return new JsonObject().put("error", new JsonObject().put("code", code).put("message", message));
    }

    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn("the HTTP API did not close cleanly: {}", e.toString());
        }
    }
}
