package io.vmflow.coordinator.engine;

import io.vmflow.avro.MigrationEvent;
import io.vmflow.schemas.kafka.Endpoints;
import io.vmflow.schemas.serde.UndecodableRecordException;
import io.vmflow.schemas.serde.WireFormat;
import io.vmflow.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

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
    private final KafkaConsumer<String, byte[]> consumer;
    private final WireFormat wire;
    private final Thread thread;
    private volatile boolean running = true;

    public EventIndex(Endpoints endpoints, WireFormat wire, String clientId) {
        this.wire = wire;
        this.consumer = new KafkaConsumer<>(endpoints.consumer(null, clientId));
        this.thread = new Thread(this::run, "event-index");
        thread.setDaemon(true);
        thread.start();
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

    private void run() {
        try {
            String topic = TopicCatalogue.MIGRATION_EVENTS.name();
            List<TopicPartition> tps = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        MigrationEvent e = wire.decode(r.value(), MigrationEvent.class);
                        List<MigrationEvent> l = byMigration.computeIfAbsent(e.getMigrationId(), k -> new ArrayList<>());
                        synchronized (l) {
                            l.add(e);
                        }
                    } catch (UndecodableRecordException e) {
                        // the audit log has one writer, the coordinator; nothing else to do here
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
