package io.vmflow.coordinator.engine;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.schemas.kafka.Endpoints;
import io.vmflow.schemas.kafka.TopicTail;
import io.vmflow.schemas.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The committed audit log, indexed by migration for the API ({@code GET /migrations/{id}/events}):
 * read from the beginning (read_committed) on its own thread, keeping the most recent migrations.
 */
public final class EventIndex implements AutoCloseable {

    private static final int KEEP = 10_000;

    private final Map<String, List<MigrationEvent>> byMigration = Collections.synchronizedMap(
            new LinkedHashMap<>(1024, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, List<MigrationEvent>> eldest) {
                    return size() > KEEP;
                }
            });
    private final TopicTail<MigrationEvent> tail;

    public EventIndex(Endpoints endpoints, WireFormat wire, String clientId) {
        this.tail = new TopicTail<>(clientId, endpoints, TopicCatalogue.MIGRATION_EVENTS.name(),
                TopicTail.From.BEGINNING, wire, MigrationEvent.class, (r, e) -> {
                    List<MigrationEvent> l = byMigration.computeIfAbsent(e.getMigrationId(), k -> new ArrayList<>());
                    synchronized (l) {
                        l.add(e);
                    }
                }, key -> { }).start();
    }

    /** The events of a migration committed so far, in order. */
    public List<MigrationEvent> of(String migrationId) {
        List<MigrationEvent> l = byMigration.get(migrationId);
        if (l == null) {
            return List.of();
        }
        synchronized (l) {
            return List.copyOf(l);
        }
    }

    @Override
    public void close() {
        tail.close();
    }
}
