package io.vmflow.coordinator.engine;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.runtime.kafka.DeadLetters;
import io.vmflow.runtime.kafka.Endpoints;
import io.vmflow.runtime.kafka.Loops;
import io.vmflow.runtime.kafka.TopicTail;
import io.vmflow.runtime.serde.WireFormat;
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
    private static final int RECENT = 100;

    private final Map<String, List<MigrationEvent>> byMigration =
            Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, List<MigrationEvent>> eldest) {
                    return size() > KEEP;
                }
            });
    private final java.util.ArrayDeque<MigrationEvent> recent = new java.util.ArrayDeque<>();
    private final TopicTail<MigrationEvent> tail;

    /** {@code observer} sees every committed event once, in log order, on the reading thread. */
    public EventIndex(
            Endpoints endpoints,
            WireFormat wire,
            String clientId,
            java.util.function.Consumer<MigrationEvent> observer,
            Loops loops,
            DeadLetters deadLetters) {
        this.tail = new TopicTail<>(
                        clientId,
                        endpoints,
                        TopicCatalogue.MIGRATION_EVENTS.name(),
                        TopicTail.From.BEGINNING,
                        wire,
                        MigrationEvent.class,
                        (r, e) -> {
                            List<MigrationEvent> l =
                                    byMigration.computeIfAbsent(e.getMigrationId(), k -> new ArrayList<>());
                            synchronized (l) {
                                l.add(e);
                            }
                            synchronized (recent) {
                                recent.addFirst(e);
                                if (recent.size() > RECENT) {
                                    recent.removeLast();
                                }
                            }
                            observer.accept(e);
                        },
                        key -> {},
                        loops,
                        deadLetters)
                .start();
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

    /** The latest events of all migrations, newest first. */
    public List<MigrationEvent> recent() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    @Override
    public void close() {
        tail.close();
    }
}
