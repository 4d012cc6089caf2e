package io.vmflow.coordinator.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vmflow.avro.HostState;
import io.vmflow.avro.MigrationEvent;
import io.vmflow.coordinator.config.CoordinatorConfig;
import io.vmflow.coordinator.engine.Engine;
import io.vmflow.coordinator.engine.EventIndex;
import io.vmflow.coordinator.engine.MigrationView;
import io.vmflow.coordinator.inventory.Inventory;
import io.vmflow.coordinator.observe.RelayTraffic;
import io.vmflow.coordinator.statemachine.MigrationPhase;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * What the live dashboard shows, as one JSON document (the "board"): migrations in flight, queued and
 * recently ended with their phase timeline, each host's outbound and inbound migrations against the
 * admission limits, the relays' traffic, and the latest events. Built on demand from what the
 * coordinator already reads from Kafka; the page receives it over server-sent events.
 */
public final class Dashboard {

    private static final int ENDED_SHOWN = 30;
    private static final int EVENTS_SHOWN = 40;

    private final CoordinatorConfig config;
    private final Engine engine;
    private final Inventory inventory;
    private final EventIndex events;
    private final RelayTraffic relays;

    public Dashboard(
            CoordinatorConfig config, Engine engine, Inventory inventory, EventIndex events, RelayTraffic relays) {
        this.config = config;
        this.engine = engine;
        this.inventory = inventory;
        this.events = events;
        this.relays = relays;
    }

    /** How long one computed board serves every open stream. */
    static final long TICK_MS = 250;

    /**
     * A board as the streams send it: {@code text} without its timestamp (equal texts, equal pages),
     * {@code event} the server-sent event with it.
     */
    record Frame(String text, String event, long computedAtNanos) {}

    private volatile Frame frame;

    /** The current board for the streams: computed at most once per tick, however many viewers there are. */
    Frame frame() {
        Frame f = frame;
        long now = System.nanoTime();
        if (f == null || now - f.computedAtNanos() >= TICK_MS * 1_000_000L) {
            JsonObject board = board();
            f = new Frame(
                    board.encode(), "event: board\ndata: " + stamped(board).encode() + "\n\n", now);
            frame = f;
        }
        return f;
    }

    /** The board without its timestamp: two boards are equal exactly when the page would show the same. */
    JsonObject board() {
        List<MigrationView> all = engine.views().stream()
                .sorted(Comparator.comparing(MigrationView::createdAt).reversed())
                .toList();
        JsonArray flying = new JsonArray();
        JsonArray waiting = new JsonArray();
        JsonArray ended = new JsonArray();
        for (MigrationView v : all) {
            if (v.phase().isFinal()) {
                if (ended.size() < ENDED_SHOWN) {
                    ended.add(migration(v));
                }
            } else if (v.phase().isInFlight()) {
                flying.add(migration(v));
            } else {
                waiting.add(migration(v));
            }
        }
        JsonArray hosts = new JsonArray();
        inventory.hosts().stream()
                .sorted(Comparator.comparing(HostState::getHostId))
                .forEach(h -> {
                    long out = all.stream()
                            .filter(v -> v.phase().isInFlight()
                                    && h.getHostId().equals(v.spec().getSourceHost()))
                            .count();
                    long in = all.stream()
                            .filter(v -> v.phase().isInFlight()
                                    && h.getHostId().equals(v.spec().getDestinationHost()))
                            .count();
                    hosts.add(new JsonObject()
                            .put("hostId", h.getHostId())
                            .put("liveness", h.getLiveness().name())
                            .put("heartbeatAt", h.getReportedAt().toString())
                            .put("outbound", out)
                            .put("outboundLimit", config.outboundPerHost())
                            .put("inbound", in)
                            .put("inboundLimit", config.inboundPerHost())
                            .put(
                                    "guests",
                                    new JsonArray(h.getGuests().stream()
                                            .map(g -> g.getName())
                                            .sorted()
                                            .toList()))
                            .put("relay", h.getRelayEndpoint())
                            .put("libvirtVersion", h.getLibvirtVersion()));
                });
        JsonArray relayHosts = new JsonArray();
        relays.relays(this::ended)
                .forEach(r -> relayHosts.add(new JsonObject()
                        .put("hostId", r.hostId())
                        .put("bytes", r.bytes())
                        .put("open", r.open())
                        .put("refused", r.refused())));
        JsonArray streams = new JsonArray();
        relays.recent().stream()
                .limit(12)
                .forEach(s -> streams.add(new JsonObject()
                        .put("hostId", s.hostId())
                        .put("migrationId", s.migrationId())
                        .put("peer", s.peer())
                        .put("bytes", s.bytes())
                        .put("open", s.closed() == null)
                        .put("bytesPerSecond", s.bytesPerSecond())
                        .put("reason", s.reason())));
        JsonArray latest = new JsonArray();
        events.recent().stream().limit(EVENTS_SHOWN).forEach(e -> latest.add(RequestJson.event(e)));
        return new JsonObject()
                .put("coordinator", config.id())
                .put(
                        "limits",
                        new JsonObject()
                                .put("outboundPerHost", config.outboundPerHost())
                                .put("inboundPerHost", config.inboundPerHost())
                                .put("cluster", config.clusterWide()))
                .put("inFlight", flying)
                .put("waiting", waiting)
                .put("ended", ended)
                .put("hosts", hosts)
                .put("relays", relayHosts)
                .put("streams", streams)
                .put("events", latest);
    }

    /** Whether the audit log says the migration ended (or no longer knows it). */
    private boolean ended(String migrationId) {
        List<MigrationEvent> l = events.of(migrationId);
        return l.isEmpty()
                || MigrationPhase.valueOf(l.get(l.size() - 1).getPhase().name()).isFinal();
    }

    static JsonObject stamped(JsonObject board) {
        return board.copy().put("generatedAt", Instant.now().toString());
    }

    private JsonObject migration(MigrationView v) {
        JsonArray timeline = new JsonArray();
        String last = null;
        for (MigrationEvent e : events.of(v.id())) {
            if (!e.getPhase().name().equals(last)) {
                timeline.add(new JsonObject()
                        .put("phase", e.getPhase().name())
                        .put("at", e.getOccurredAt().toString()));
                last = e.getPhase().name();
            }
        }
        // the engine knows a phase a moment before the audit log's reader has read its event: the
        // timeline ends with the phase the row shows, stamped now until the event is read
        if (!v.phase().name().equals(last)) {
            timeline.add(new JsonObject()
                    .put("phase", v.phase().name())
                    .put("at", Instant.now().toString()));
        }
        return HttpApi.view(v).put("timeline", timeline);
    }
}
